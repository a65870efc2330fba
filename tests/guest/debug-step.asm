; debug-step.asm -- single step (EFLAGS.TF) where the SDM refines "a #DB
; after every instruction":
;   32-bit ring 0: REP MOVSB with ECX = 3 traps after each iteration (EIP at
;     the instruction until the count is exhausted); MOV SS and POP SS hold
;     the trap until after the next instruction; no trap into the handler of
;     INT n or INT3 (and none right after their IRET).
;   64-bit ring 3: SYSCALL whose SFMASK clears TF: no trap in the kernel;
;     SYSRET loading TF = 1 from R11: a trap at the user instruction.
; (INT1 and RF between REP iterations, where QEMU 7.2 departs from the SDM,
; are in debug-sdm.asm.)
; The #DB handler (lib/dbstep.inc) logs each trap and clears TF in the frame
; when EIP reaches the case's end label.
; Follows Intel SDM vol. 3A 6.8.3 (MOV SS / POP SS shadow), 17.3.1.4
; (single-step trap), 17.2.3 (DR6); vol. 2 INT n/INTO/INT3/INT1, SYSCALL,
; SYSRET, REP.
%define TESTNAME "debug-step"
%include "lib/common.inc"

%include "lib/dbstep.inc"

int_hits    equ VARS + 0x1C0
k_hits      equ VARS + 0x1C4
src         equ VARS + 0x1D0
dst         equ VARS + 0x1E0

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 1, db32, 0x8E
    IDT32_SET 3, bp32, 0x8E
    IDT32_SET 0x41, int41_32, 0x8E

    ; ---- REP MOVSB, ECX = 3: three traps, EIP at the REP MOVSB for the
    ; first two (RCX 2, 1 left), then after it
    mov dword [src], 0x44332211
    mov dword [dst], 0
    mov esi, src
    mov edi, dst
    mov ecx, 3
    cld
    STEP_BEGIN .rep_end
.rep:
    rep movsb
.rep_end:
    CHECK dword [db_hits], 3, 0x11, "rep movsb: traps"
    CHECK dword [db_eip], .rep, 0x13, "rep movsb: EIP of trap 1"
    CHECK dword [db_eip + 8], .rep, 0x14, "rep movsb: EIP of trap 2"
    mov eax, [db_dr6]
    and eax, 0x4000
    CHECK eax, 0x4000, 0x15, "rep movsb: DR6.BS"
    CHECK ecx, 0, 0x16, "rep movsb: ECX"
    CHECK dword [dst], 0x00332211, 0x17, "rep movsb: bytes copied"

    ; ---- MOV SS: the trap after it waits until after the next instruction
    STEP_BEGIN .mss_end
    mov ax, ss
.mss:
    mov ss, ax
    nop
.mss_end:
    CHECK dword [db_hits], 2, 0x18, "mov ss: traps (one after mov ax,ss, one after mov ss+nop)"
    CHECK dword [db_eip], .mss, 0x19, "mov ss: EIP of the first trap"

    ; ---- POP SS likewise
    push ss
    STEP_BEGIN .pss_end
    nop
.pss:
    pop ss
    nop
.pss_end:
    CHECK dword [db_hits], 2, 0x1A, "pop ss: traps"
    CHECK dword [db_eip], .pss, 0x1B, "pop ss: EIP of the first trap"

    ; ---- INT n: no trap into the handler, none right after its IRET (which
    ; began with TF = 0); the NOP after the INT traps
    mov dword [int_hits], 0
    STEP_BEGIN .int_end
    int 0x41
    nop
.int_end:
    CHECK dword [int_hits], 1, 0x1C, "int 0x41: handler not run once"
    CHECK dword [db_hits], 1, 0x1D, "int 0x41: traps"

    ; ---- INT3 likewise
    mov dword [int_hits], 0
    STEP_BEGIN .bp_end
    int3
    nop
.bp_end:
    CHECK dword [int_hits], 1, 0x1E, "int3: handler not run once"
    CHECK dword [db_hits], 1, 0x1F, "int3: traps"

    mov ebx, main64
    jmp go_long

bp32:
int41_32:
    inc dword [int_hits]
    iretd

; ================================================================ 64-bit
bits 64
main64:
    call tss64_init
    IDT64_SET 1, db64, 0x8E
    IDT64_SET 0x80, int80_64, 0xEE
    mov ecx, 0xC0000080                     ; EFER.SCE
    rdmsr
    or eax, 1
    wrmsr
    mov ecx, 0xC0000081                     ; STAR: SYSRET base 0x18, SYSCALL CS 0x30
    xor eax, eax
    mov edx, (SEL_UCODE32 << 16) | SEL_CODE64
    wrmsr
    mov ecx, 0xC0000082                     ; LSTAR
    mov eax, k_entry
    xor edx, edx
    wrmsr
    mov ecx, 0xC0000084                     ; SFMASK: TF, IF
    mov eax, 0x300
    xor edx, edx
    wrmsr

    mov dword [k_hits], 0
    mov dword [db_hits], 0
    mov dword [db_stop], u_sys_end
    mov dword [db_stop + 4], 0
    xor eax, eax
    mov dr6, rax
    mov rax, u_sys
    call call_ring3_64
    CHECK dword [k_hits], 1, 0x30, "syscall: kernel not run once"
    CHECK dword [db_hits], 2, 0x31, "syscall/sysret: traps"
    mov rax, u_sys_after
    CHECK qword [db_eip], rax, 0x33, "sysret: RIP of the trap"
    PASS

; ring 3
u_sys:
    pushfq
    or qword [rsp], 0x100
    popfq
    syscall                                 ; SFMASK clears TF: no trap
u_sys_after:                                ; SYSRET set TF: trap here
    nop
u_sys_end:
    int 0x80

; kernel: runs with TF = 0, returns with R11 (TF = 1)
k_entry:
    inc dword [k_hits]
    nop
    o64 sysret

int80_64:
    jmp ring0_resume64
