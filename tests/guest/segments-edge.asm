; segments-edge.asm -- segment and descriptor-table edge cases.
;
; Run under QEMU and softvisor:
;   ARPL with a memory destination whose RPL is already >= the source RPL:
;     ZF = 0 and no fault although the segment is read-only (nothing written);
;   IRETQ from ring 0 to 64-bit ring 3 with FS holding a DPL-0 data segment:
;     FS becomes the null selector, its base stays and [fs:0] still reads
;     through it; GS (DPL 3) keeps selector and base (SDM IRET
;     "RETURN-TO-OUTER-PRIVILEGE-LEVEL");
;   RETFQ from ring 0 to 64-bit ring 3 with GS holding a DPL-0 data segment:
;     the same for GS (SDM RET);
;   CPUID 80000001h EDX.SYSCALL = 1 in 64-bit mode.
; Run under softvisor only (SV_ONLY, segments-edge-sv.asm), where QEMU 7.2
; TCG is wrong:
;   ARPL that must raise the RPL of a read-only segment's word: #GP(0), the
;     word unchanged (QEMU checks no data segment rights);
;   LGDT and LIDT in 64-bit mode with a non-canonical base: #GP(0), GDTR and
;     IDTR unchanged (SDM LGDT/LIDT 64-bit mode exceptions; QEMU loads them).
%ifndef TESTNAME
%define TESTNAME "segments-edge"
%endif
%include "lib/common.inc"
%include "lib/trap.inc"

SEL_RO      equ SEL_FREE            ; 0x68: read-only data, DPL0
ARPL_WORD   equ 0x6000
FS_AREA     equ 0x61000             ; FS/GS bases for the ring-3 checks
GS_AREA     equ 0x62000
GS_AREA2    equ 0x63000
FS_MAGIC    equ 0xF5F5F5F5
GS_MAGIC    equ 0x65656565
GS_MAGIC2   equ 0x66666666
MSR_FS_BASE equ 0xC0000100
MSR_GS_BASE equ 0xC0000101
r_fs_sel    equ VARS + 0x80         ; what the ring-3 code saw
r_fs_val    equ VARS + 0x84
r_gs_sel    equ VARS + 0x88
r_gs_val    equ VARS + 0x8C
gp_hits     equ VARS + 0x90         ; 64-bit #GP handler (SV_ONLY)
gp_err      equ VARS + 0x98
gp_resume   equ VARS + 0xA0
tbl_before  equ VARS + 0xB0         ; SGDT/SIDT images (10 bytes)
tbl_after   equ VARS + 0xC0
tbl_bad     equ VARS + 0xD0         ; LGDT/LIDT operand with a non-canonical base

; NONCANON_LOAD load, store, code: `load` [tbl_bad] must raise #GP(0) and leave
; the register as `store` saw it before (fail codes code .. code+3)
%macro NONCANON_LOAD 3
    %2 [tbl_before]
    mov dword [gp_hits], 0
    mov rax, %%r
    mov [gp_resume], rax
    %1 [tbl_bad]
%%r:
    CHECK dword [gp_hits], 1, %3, "non-canonical base: no #GP"
    CHECK qword [gp_err], 0, %3 + 1, "non-canonical base: #GP error code"
    %2 [tbl_after]
    mov rax, [tbl_before]
    CHECK [tbl_after], rax, %3 + 2, "non-canonical base: base changed"
    mov ax, [tbl_before + 8]
    CHECK [tbl_after + 8], ax, %3 + 3, "non-canonical base: base or limit changed"
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    TRAP_INSTALL
    mov eax, SEL_RO
    xor ebx, ebx
    mov ecx, 0xFFFFF
    mov dl, 0x91                    ; P, DPL0, data, read-only, accessed
    mov dh, 0xC
    call set_desc32
    mov ax, SEL_RO
    mov es, ax
    ; ---- ARPL, RPL 3 already >= RPL 3: read only
    mov word [ARPL_WORD], 0x000B
    mov bx, 0x0013
    arpl [es:ARPL_WORD], bx
    jnz .arpl_zf
    FAIL 0x11, "arpl without adjustment set ZF"
.arpl_zf:
    CHECK word [ARPL_WORD], 0x000B, 0x12, "arpl without adjustment changed the word"
%ifdef SV_ONLY
    ; ---- ARPL raising RPL 0 to 3 in a read-only segment
    mov word [ARPL_WORD], 0x0008
    TRAPS 13, 0, 0x13, "arpl adjusting a read-only word", arpl [es:ARPL_WORD], bx
    CHECK word [ARPL_WORD], 0x0008, 0x14, "arpl #GP changed the word"
%endif
    mov ax, SEL_DATA
    mov es, ax
    mov ebx, main64
    jmp go_long

bits 64
main64:
    call tss64_init
    IDT64_SET 0x80, r3_done, 0xEE           ; ring 3 -> ring0_resume64
    IDT64_SET 0x81, retf_to_r3, 0xEE        ; ring 3 -> ring 0 -> RETFQ to ring 3
    mov dword [FS_AREA], FS_MAGIC
    mov dword [GS_AREA], GS_MAGIC
    mov dword [GS_AREA2], GS_MAGIC2

    mov eax, 0x80000001
    cpuid
    bt edx, 11
    jc .cpuid_ok
    FAILV 0x21, "CPUID 80000001h EDX.SYSCALL clear in 64-bit mode", edx
.cpuid_ok:

    ; ---- IRETQ to ring 3: FS (DPL 0) nulled with its base kept, GS (DPL 3) kept
    mov ax, SEL_DATA64
    mov fs, ax
    mov ax, SEL_UDATA | 3
    mov gs, ax
    mov ecx, MSR_FS_BASE
    mov eax, FS_AREA
    xor edx, edx
    wrmsr
    mov ecx, MSR_GS_BASE
    mov eax, GS_AREA
    wrmsr
    mov rax, r3_iret
    call call_ring3_64
    CHECK word [r_fs_sel], 0, 0x22, "iretq to ring 3: FS selector"
    CHECK dword [r_fs_val], FS_MAGIC, 0x23, "iretq to ring 3: [fs:0] (FS base lost)"
    CHECK word [r_gs_sel], SEL_UDATA | 3, 0x24, "iretq to ring 3: GS selector"
    CHECK dword [r_gs_val], GS_MAGIC, 0x25, "iretq to ring 3: [gs:0]"
    mov ecx, MSR_FS_BASE
    rdmsr
    CHECK eax, FS_AREA, 0x26, "iretq to ring 3: FS base"

    ; ---- RETFQ to ring 3: GS (DPL 0) nulled with its base kept
    mov rax, r3_to_retf
    call call_ring3_64
    CHECK word [r_gs_sel], 0, 0x27, "retfq to ring 3: GS selector"
    CHECK dword [r_gs_val], GS_MAGIC2, 0x28, "retfq to ring 3: [gs:0] (GS base lost)"
    mov ecx, MSR_GS_BASE
    rdmsr
    CHECK eax, GS_AREA2, 0x29, "retfq to ring 3: GS base"

%ifdef SV_ONLY
    ; ---- LGDT / LIDT with a non-canonical base
    IDT64_SET 13, gp64, 0x8E
    mov word [tbl_bad], 0x0FFF
    mov rax, 0x0000800000000000
    mov [tbl_bad + 2], rax
    NONCANON_LOAD lgdt, sgdt, 0x31
    NONCANON_LOAD lidt, sidt, 0x35
%endif
    PASS

; #GP in ring 0: count it, keep the error code, resume at [gp_resume]
gp64:
    pop qword [gp_err]
    inc dword [gp_hits]
    push rax
    mov rax, [gp_resume]
    mov [rsp + 8], rax
    pop rax
    iretq

; int 0x81 from ring 3: load GS with the DPL-0 data segment and a base, then
; return to ring 3 with a far return (the interrupt frame is abandoned)
retf_to_r3:
    mov ax, SEL_DATA64
    mov gs, ax
    mov ecx, MSR_GS_BASE
    mov eax, GS_AREA2
    xor edx, edx
    wrmsr
    push qword SEL_UDATA | 3
    push qword STACK3_TOP
    push qword SEL_UCODE64 | 3
    mov rax, r3_after_retf
    push rax
    o64 retf

; ---- ring-3 programs (64-bit): record FS/GS as seen there, back with int 0x80
r3_iret:
    mov ax, fs
    mov [r_fs_sel], ax
    mov eax, [fs:0]
    mov [r_fs_val], eax
r3_after_retf:
    mov ax, gs
    mov [r_gs_sel], ax
    mov eax, [gs:0]
    mov [r_gs_val], eax
    int 0x80

r3_to_retf:
    int 0x81

r3_done:
    jmp ring0_resume64
