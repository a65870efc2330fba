; modes.asm -- walks the CPU through every operating mode and back:
;   real -> 16-bit protected -> 32-bit protected -> IA-32e (PAE + 4-level
;   paging, EFER.LME) -> 64-bit -> compatibility -> 32-bit protected, paging
;   off -> real mode,
; checking at each step CR0/EFER(.LMA) values, real-mode interrupts through
; the IVT (int n and #DE frames), segment behaviour (real-mode seg*16
; addressing, descriptor bases in PM, bases ignored in 64-bit mode), the
; default operand size of the code segment and a computation.
; Follows Intel SDM vol. 3A ch. 9.9 (mode switching), 9.8.5 (initializing
; IA-32e mode), 9.9.2 (switching back to real mode; GS deliberately keeps a
; 4 GiB limit to check the segment descriptor cache), 3.4.5 (descriptors),
; 5.3.1 (canonical addresses / #GP in 64-bit mode).
%define TESTNAME "modes"
%include "lib/common.inc"

SEL_BASE64K equ SEL_FREE        ; data, base 0x10000, limit 0xFFFF (16-bit)

section .rm
bits 16
main_rm:
    ; ---- real mode: CR0.PE = 0
    mov eax, cr0
    test al, 1
    jz .pe0
    FAILV 0x11, "real: CR0.PE set at reset", eax
.pe0:
    ; segment arithmetic: 0x1234:0x0010 and 0x1235:0x0000 are the same byte
    mov ax, 0x1234
    mov es, ax
    mov dword [es:0x0010], 0xA5C3_1E0F
    mov ax, 0x1235
    mov fs, ax
    mov eax, [fs:0x0000]
    CHECK eax, 0xA5C31E0F, 0x12, "real: seg*16+off aliasing"
    ; the byte must be at linear 0x12350
    mov ax, 0x1000
    mov gs, ax
    mov eax, [gs:0x2350]
    CHECK eax, 0xA5C31E0F, 0x13, "real: linear address"
    ; default operand size 16: B8 iw is mov ax, imm16
    mov eax, 0xFFFFFFFF
    db 0xB8
    dw 0x1234
    CHECK eax, 0xFFFF1234, 0x14, "real: default operand size"
    ; 16-bit computation with carry
    mov ax, 0xFFF0
    add ax, 0x0020
    jc .c1
    FAIL 0x15, "real: add carry"
.c1:
    CHECK ax, 0x0010, 0x15, "real: add result"
    ; push decrements SP by 2
    mov bx, sp
    push ax
    sub bx, sp
    pop ax
    CHECK bx, 2, 0x16, "real: push size"

    ; real-mode interrupts through the IVT: int n (trap: next IP) and #DE
    ; (fault: IP of the div), frame = IP, CS, FLAGS on SS:SP
    mov word [0x40*4], rm_int40
    mov word [0x40*4 + 2], 0xF000
    mov word [0x00*4], rm_de
    mov word [0x00*4 + 2], 0xF000
    xor bx, bx
    mov [v_scratch], sp
    int 0x40
rm_int40_ret:
    CHECK bx, 0x4040, 0x1D, "real: int 0x40 handler not run"
    xor dx, dx
    mov ax, 1
    xor cx, cx
rm_div:
    div cx
    jmp rm_div_bad
rm_div_after:
    CHECK bx, 0xDEDE, 0x1E, "real: #DE handler not run"

    ; ---- 16-bit protected mode
    o32 lgdt [cs:gdtr_rm]
    ; data descriptor with base 0x10000, 64 KiB limit
    mov di, GDT_BASE + SEL_BASE64K
    mov dword [di], 0x0000FFFF
    mov dword [di + 4], 0x00009301
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp SEL_CODE16:pm16
pm16:
    mov ax, SEL_DATA16
    mov ds, ax
    mov ss, ax
    mov es, ax
    smsw ax
    test al, 1
    jnz .pe1
    FAIL 0x17, "pm16: CR0.PE clear"
.pe1:
    ; CS must be the 16-bit selector
    mov ax, cs
    CHECK ax, SEL_CODE16, 0x18, "pm16: CS selector"
    ; the base comes from the descriptor: ES base 0x10000
    mov ax, SEL_BASE64K
    mov es, ax
    mov dword [0x0040], 0                            ; DS base 0: linear 0x40
    mov dword [es:0x0040], 0x600DF00D                ; linear 0x10040
    mov eax, [0x0040]                                ; DS (base 0) unaffected
    CHECK eax, 0, 0x19, "pm16: descriptor base ignored"
    ; read linear 0x10040 through a flat 32-bit data segment
    mov ax, SEL_DATA
    mov fs, ax
    mov eax, [fs:dword 0x10040]
    CHECK eax, 0x600DF00D, 0x1A, "pm16: descriptor base"
    ; limit and access rights of the 16-bit data segment
    mov ax, SEL_BASE64K
    lsl ebx, ax
    CHECK ebx, 0xFFFF, 0x1B, "pm16: lsl"
    ; operand size still 16
    mov eax, 0xFFFFFFFF
    db 0xB8
    dw 0x4321
    CHECK eax, 0xFFFF4321, 0x1C, "pm16: default operand size"
    ; ---- to 32-bit protected mode
    jmp dword SEL_CODE32:pm32_main

rm_div_bad:
    FAIL 0x1F, "real: #DE returned after the div"
rm_int40:
    mov bp, sp
    CHECK word [bp], rm_int40_ret, 0x2B, "real: int 0x40 pushed IP"
    CHECK word [bp + 2], 0xF000, 0x2C, "real: int 0x40 pushed CS"
    lea ax, [bp + 6]
    CHECK ax, [v_scratch], 0x2D, "real: int 0x40 frame size"
    mov bx, 0x4040
    iret
rm_de:
    mov bp, sp
    CHECK word [bp], rm_div, 0x2E, "real: #DE pushed IP (must be the div)"
    mov word [bp], rm_div_after
    mov bx, 0xDEDE
    iret

; ---- back from 32-bit protected mode (paging off) into 16-bit PM
pm16_back:
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov ax, SEL_DATA                ; GS keeps a 4 GiB limit ("unreal" mode)
    mov gs, ax
    mov ss, ax
    mov sp, STACK_RM
    mov eax, cr0
    and eax, 0x7FFFFFFE
    mov cr0, eax
    jmp 0xF000:rm_back
rm_back:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, STACK_RM
    o32 lidt [cs:idtr_rm_ivt]
    mov eax, cr0
    test eax, 0x80000001
    jz .ok
    FAILV 0x40, "real again: CR0", eax
.ok:
    mov ax, 0x2000
    mov es, ax
    mov dword [es:0x0000], 0x13579BDF
    mov ax, 0x1FFF
    mov fs, ax
    mov eax, [fs:0x0010]
    CHECK eax, 0x13579BDF, 0x41, "real again: segment aliasing"
    mov eax, 0xFFFFFFFF
    db 0xB8
    dw 0x0BAD
    CHECK eax, 0xFFFF0BAD, 0x42, "real again: default operand size"
    ; GS was not reloaded: its cached base 0 / 4 GiB limit still apply, so a
    ; 32-bit offset above 1 MiB works in real mode (descriptor cache)
    mov eax, [gs:dword 0x1800000]
    CHECK eax, 0x0FEDCBA9, 0x46, "real again: GS descriptor cache (unreal mode)"
    ; a value computed in every mode must have made it here
    mov eax, [v_scratch + 4]
    CHECK eax, 0x7E57, 0x43, "real again: chain value"
    ; the 64-bit leg left its result at 0x600
    mov eax, [0x600]
    CHECK eax, 0x9ABCDEF0, 0x44, "real again: 64-bit result lo"
    mov eax, [0x604]
    CHECK eax, 0x12345678, 0x45, "real again: 64-bit result hi"
    PASS

section .pm
bits 32
main32:                 ; (unused: this test switches modes by hand)
    FAIL 0x7F, "main32 reached"

pm32_main:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK0_TOP
    call idt32_init
    lidt [idtr32]
    mov eax, cs
    CHECK eax, SEL_CODE32, 0x20, "pm32: CS"
    ; default operand size 32: B8 id
    mov eax, 0
    db 0xB8
    dd 0xCAFEBABE
    CHECK eax, 0xCAFEBABE, 0x21, "pm32: default operand size"
    ; push is 4 bytes
    mov ebx, esp
    push eax
    sub ebx, esp
    pop eax
    CHECK ebx, 4, 0x22, "pm32: push size"
    ; memory above 1 MiB with A20 on: 16 MiB and 17 MiB are distinct
    mov dword [0x1000000], 0x11111111
    mov dword [0x1100000], 0x22222222
    mov dword [0x0100000], 0x33333333
    mov dword [0x0000600], 0x44444444
    mov eax, [0x1000000]
    CHECK eax, 0x11111111, 0x23, "pm32: high memory"
    mov eax, [0x100000]
    CHECK eax, 0x33333333, 0x24, "pm32: A20 wrap"
    ; segment base from a 32-bit descriptor: base 0x10000
    mov eax, SEL_BASE64K
    mov ebx, 0x10000
    mov ecx, 0xFFFFF
    mov dl, 0x93
    mov dh, 0x4
    call set_desc32
    mov ax, SEL_BASE64K
    mov fs, ax
    mov dword [fs:0x80], 0x5EED5EED
    mov eax, [0x10080]
    CHECK eax, 0x5EED5EED, 0x25, "pm32: segment base"
    ; 32x32 -> 64 multiply
    mov eax, 0x89ABCDEF
    mov ecx, 0x12345
    mul ecx
    CHECK edx, 0x9CA3, 0x26, "pm32: mul hi"
    CHECK eax, 0x66652E6B, 0x27, "pm32: mul lo"
    mov dword [v_scratch + 4], 0x7E57

    ; ---- enter IA-32e mode (SDM 9.8.5)
    call lm_identity
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, LM_PML4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8                  ; LME
    wrmsr
    rdmsr
    and eax, 0x500
    CHECK eax, 0x100, 0x28, "pm32: EFER LME set, LMA clear"
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    ; now in compatibility mode (CS is still a 32-bit segment)
    mov ecx, 0xC0000080
    rdmsr
    and eax, 0x500
    CHECK eax, 0x500, 0x29, "compat: EFER.LMA not set by CR0.PG"
    mov eax, 0
    db 0xB8
    dd 0xFEEDFACE
    CHECK eax, 0xFEEDFACE, 0x2A, "compat: default operand size"
    jmp SEL_CODE64:lm64

bits 64
lm64:
    mov ax, SEL_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, STACK0_TOP
    call idt64_init
    lidt [idtr64]
    IDT64_SET 13, gp64_handler, 0x8E
    mov rax, cs
    CHECK rax, SEL_CODE64, 0x30, "lm64: CS"
    ; 64-bit registers and arithmetic
    mov rax, 0x0123456789ABCDEF
    rol rax, 16
    mov r8, 0x456789ABCDEF0123
    CHECK rax, r8, 0x31, "lm64: rol 64"
    mov r15, 0x100000000
    add r15, r15
    shr r15, 33
    CHECK r15, 1, 0x32, "lm64: r15"
    ; B8 without REX.W is mov eax, imm32 and zero-extends
    mov rax, -1
    db 0xB8
    dd 0x89ABCDEF
    mov rbx, 0x89ABCDEF
    CHECK rax, rbx, 0x33, "lm64: mov r32 zero-extends"
    ; RIP-relative addressing
    lea rax, [rel lm64]
    mov rbx, lm64
    CHECK rax, rbx, 0x34, "lm64: rip-relative"
    ; push is 8 bytes
    mov rbx, rsp
    push rax
    sub rbx, rsp
    pop rax
    CHECK rbx, 8, 0x35, "lm64: push size"
    ; DS base is ignored in 64-bit mode: FS -> base 0x10000 descriptor,
    ; but a DS load of the same selector must still address flat memory
    mov ax, SEL_BASE64K
    mov ds, ax
    mov qword [0x10080], 0x0BADC0DE
    mov ax, SEL_DATA64
    mov ds, ax
    mov eax, [0x10080]
    CHECK rax, 0x0BADC0DE, 0x36, "lm64: DS base not ignored"
    ; non-canonical address -> #GP(0)
    mov byte [gp_seen], 0
    mov rax, 0x0000800000000000
gp_insn:
    mov rbx, [rax]
gp_after:
    cmp byte [gp_seen], 1
    je .gpok
    FAIL 0x37, "lm64: no #GP on non-canonical address"
.gpok:
    ; 64-bit result carried to real mode
    mov rax, 0x123456789ABCDEF0
    mov [0x600], rax
    ; ---- back to compatibility mode: far return to the 32-bit CS
    push qword SEL_CODE32
    mov rax, compat_back
    push rax
    retfq

gp64_handler:
    mov rax, [rsp]
    CHECK rax, 0, 0x38, "lm64: #GP error code"
    mov rax, [rsp + 8]
    mov rbx, gp_insn
    CHECK rax, rbx, 0x39, "lm64: #GP rip"
    mov byte [gp_seen], 1
    mov rax, gp_after
    mov [rsp + 8], rax
    add rsp, 8
    iretq

bits 32
compat_back:
    mov eax, cs
    CHECK eax, SEL_CODE32, 0x3A, "compat2: CS"
    mov ecx, 0xC0000080
    rdmsr
    and eax, 0x500
    CHECK eax, 0x500, 0x3B, "compat2: EFER.LMA"
    mov eax, 0
    db 0xB8
    dd 0x31415926
    CHECK eax, 0x31415926, 0x3C, "compat2: default operand size"
    ; leave IA-32e mode: paging off first (SDM 9.8.5.4)
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    mov ebx, eax
    and ebx, 0x500
    CHECK ebx, 0x100, 0x3D, "pm32 again: LMA not cleared"
    and eax, ~0x100
    wrmsr
    mov eax, cr4
    and eax, ~(1 << 5)
    mov cr4, eax
    ; 32-bit protected mode, paging off: linear == physical again, even for
    ; addresses that were identity mapped anyway; check 24 MiB (unmapped by
    ; nothing) and a computation
    mov eax, cr0
    test eax, 0x80000000
    jz .pg0
    FAILV 0x3E, "pm32 again: CR0.PG", eax
.pg0:
    mov dword [0x1800000], 0x0FEDCBA9
    mov eax, [0x1800000]
    CHECK eax, 0x0FEDCBA9, 0x3F, "pm32 again: memory"
    lidt [idtr_ivt32]
    jmp SEL_CODE16:pm16_back

idtr_ivt32:
    dw 0x3FF
    dd 0

gp_seen equ v_scratch + 8
