; rings.asm -- privilege-level transitions ring 3 <-> ring 0:
;   32-bit: int 0x80 through a DPL3 interrupt gate (stack switch to TSS
;           SS0:ESP0, frame contents, IRET back), a 32-bit call gate with a
;           parameter count of 2 (parameters copied to the ring-0 stack,
;           RETF 8 back), SYSENTER/SYSEXIT (MSRs 0x174-0x176);
;   64-bit: int 0x80 (RSP0), SYSCALL/SYSRET (EFER.SCE, STAR, LSTAR, SFMASK),
;           including SYSRET to 32-bit compatibility mode.
; After every transition the CPL (CS low bits), CS/SS selectors, the stack
; in use and the returned values are checked, on both sides.
; Follows Intel SDM vol. 3A ch. 5.8 (calling procedures among privilege
; levels, call gates), 5.8.7 (SYSENTER/SYSEXIT), 5.8.8 (SYSCALL/SYSRET),
; 6.12.1 (interrupt stack switch); vol. 2 SYSENTER/SYSEXIT/SYSCALL/SYSRET.
%define TESTNAME "rings"
%include "lib/common.inc"

SEL_CGATE   equ SEL_FREE            ; 0x68: 32-bit call gate, DPL3, 2 params
SE_STACK    equ 0x78000             ; SYSENTER ESP
SC_MAGIC    equ 0x5C5C1234

; R3CHECK a, b, code, "msg"  -- check from ring 3; report through int 0x82
%macro R3CHECK 4
[section .strs]
%%s: db %4, 0
__SECT__
    cmp %1, %2
    je %%ok
    _LOADV %1
    mov ebx, %%s
    mov eax, %3
    int 0x82
%%ok:
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    call tss32_init
    IDT32_SET 0x80, int80_32, 0xEE
    IDT32_SET 0x81, int81_32, 0xEE          ; back to ring 0 for good
    IDT32_SET 0x82, int82_32, 0xEE          ; ring-3 check failed
    ; call gate: offset cg_32, selector SEL_CODE32, DPL3, type 0xC, 2 dwords
    mov eax, cg_32
    mov word [GDT_BASE + SEL_CGATE], ax
    mov word [GDT_BASE + SEL_CGATE + 2], SEL_CODE32
    mov byte [GDT_BASE + SEL_CGATE + 4], 2
    mov byte [GDT_BASE + SEL_CGATE + 5], 0xEC
    shr eax, 16
    mov word [GDT_BASE + SEL_CGATE + 6], ax
    ; SYSENTER MSRs
    mov ecx, 0x174
    mov eax, SEL_CODE32
    xor edx, edx
    wrmsr
    mov ecx, 0x175
    mov eax, SE_STACK
    wrmsr
    mov ecx, 0x176
    mov eax, se_32
    wrmsr

    mov dword [v_scratch], 0
    mov eax, r3_32
    call call_ring3
    CHECK dword [v_scratch], 0x600D32, 0x11, "32-bit ring-3 program did not finish"
    mov ax, cs
    CHECK ax, SEL_CODE32, 0x12, "CPL after return"
    PRINT "rings: 32-bit transitions ok", 10
    mov ebx, main64
    jmp go_long

; ------------------------------------------------------------ ring 3, 32-bit
r3_32:
    mov ax, SEL_UDATA | 3
    mov ds, ax
    mov es, ax
    mov ax, cs
    R3CHECK ax, SEL_UCODE32 | 3, 0x20, "r3: CS at start"
    ; ---- int 0x80
    mov eax, 0x1000
    mov ebx, 0x234
    int 0x80
    R3CHECK eax, 0x1234, 0x21, "r3: int 0x80 result"
    mov cx, cs
    R3CHECK cx, SEL_UCODE32 | 3, 0x22, "r3: CS after iret"
    mov cx, ss
    R3CHECK cx, SEL_UDATA | 3, 0x23, "r3: SS after iret"
    R3CHECK esp, STACK3_TOP, 0x24, "r3: ESP after iret"
    ; ---- call gate with two parameters
    push dword 0x11111111
    push dword 0x22222222
    call SEL_CGATE | 3:0xDEAD               ; offset is ignored
r3_cg_ret:
    R3CHECK eax, 0x33333333, 0x25, "r3: call gate result"
    R3CHECK esp, STACK3_TOP, 0x26, "r3: ESP after retf 8"
    mov cx, cs
    R3CHECK cx, SEL_UCODE32 | 3, 0x27, "r3: CS after retf"
    ; ---- SYSENTER / SYSEXIT
    mov esi, 0x7E57
    mov ecx, STACK3_TOP - 0x100             ; ESP after SYSEXIT
    mov edx, r3_se_ret                      ; EIP after SYSEXIT
    sysenter
    jmp $
r3_se_ret:
    R3CHECK eax, 0x7E58, 0x28, "r3: sysenter result"
    mov cx, cs
    R3CHECK cx, SEL_UCODE32 | 3, 0x29, "r3: CS after sysexit"
    mov cx, ss
    R3CHECK cx, SEL_UDATA | 3, 0x2A, "r3: SS after sysexit"
    R3CHECK esp, STACK3_TOP - 0x100, 0x2B, "r3: ESP after sysexit"
    mov eax, 0x600D32
    int 0x81

; ------------------------------------------------------------ ring 0 handlers
; int 0x80: eax = eax + ebx. Frame: eip cs eflags esp ss.
int80_32:
    mov dx, cs
    CHECK dx, SEL_CODE32, 0x30, "int80: CS"
    mov dx, ss
    CHECK dx, SEL_DATA, 0x31, "int80: SS not TSS SS0"
    lea edx, [esp + 20]
    CHECK edx, [TSS_BASE + 4], 0x32, "int80: not on TSS ESP0 stack"
    mov edx, [esp + 4]
    CHECK edx, SEL_UCODE32 | 3, 0x33, "int80: saved CS"
    mov edx, [esp + 12]
    CHECK edx, STACK3_TOP, 0x34, "int80: saved ESP"
    mov edx, [esp + 16]
    CHECK edx, SEL_UDATA | 3, 0x35, "int80: saved SS"
    mov edx, [esp + 8]
    test edx, 0x200
    jz .if0
    FAILV 0x36, "int80: IF set", edx
.if0:
    add eax, ebx
    iretd

; call gate: [esp] eip, [esp+4] cs, [esp+8] p2, [esp+12] p1, [esp+16] esp, [esp+20] ss
cg_32:
    mov dx, cs
    CHECK dx, SEL_CODE32, 0x40, "call gate: CS"
    mov dx, ss
    CHECK dx, SEL_DATA, 0x41, "call gate: SS"
    lea edx, [esp + 24]
    CHECK edx, [TSS_BASE + 4], 0x42, "call gate: not on TSS ESP0 stack"
    mov edx, [esp]
    CHECK edx, r3_cg_ret, 0x43, "call gate: return EIP"
    mov edx, [esp + 4]
    CHECK edx, SEL_UCODE32 | 3, 0x44, "call gate: return CS"
    mov edx, [esp + 8]
    CHECK edx, 0x22222222, 0x45, "call gate: parameter 2 (top of stack)"
    mov edx, [esp + 12]
    CHECK edx, 0x11111111, 0x46, "call gate: parameter 1"
    mov edx, [esp + 16]
    CHECK edx, STACK3_TOP - 8, 0x47, "call gate: saved ESP"
    mov edx, [esp + 20]
    CHECK edx, SEL_UDATA | 3, 0x48, "call gate: saved SS"
    mov eax, [esp + 8]
    add eax, [esp + 12]
    retf 8

; SYSENTER: CS = MSR 0x174, SS = +8, ESP = MSR 0x175
se_32:
    mov ax, cs
    CHECK ax, SEL_CODE32, 0x50, "sysenter: CS"
    mov ax, ss
    CHECK ax, SEL_DATA, 0x51, "sysenter: SS"
    CHECK esp, SE_STACK, 0x52, "sysenter: ESP"
    pushfd
    pop eax
    test eax, 0x200
    jz .if0
    FAILV 0x53, "sysenter: IF set", eax
.if0:
    lea eax, [esi + 1]
    sysexit

int81_32:
    mov [v_scratch], eax
    jmp ring0_resume

int82_32:
    mov esi, ebx
    jmp failv_32

; ================================================================ 64-bit
bits 64
main64:
    call tss64_init
    IDT64_SET 0x80, int80_64, 0xEE
    IDT64_SET 0x81, int81_64, 0xEE
    IDT64_SET 0x82, int82_64, 0xEE
    ; SYSCALL: EFER.SCE, STAR, LSTAR, SFMASK
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1
    wrmsr
    mov ecx, 0xC0000081                     ; STAR
    xor eax, eax
    mov edx, (SEL_UCODE32 << 16) | SEL_CODE64
    wrmsr
    mov ecx, 0xC0000082                     ; LSTAR
    mov eax, sc_64
    xor edx, edx
    wrmsr
    mov ecx, 0xC0000084                     ; SFMASK: IF, DF, TF, AC
    mov eax, 0x40700
    xor edx, edx
    wrmsr
    mov ecx, 0xC0000083                     ; CSTAR (not used on Intel)
    mov eax, sc_64
    wrmsr

    mov dword [v_scratch], 0
    mov rax, r3_64
    call call_ring3_64
    CHECK dword [v_scratch], 0x600D64, 0x61, "64-bit ring-3 program did not finish"
    mov ax, cs
    CHECK ax, SEL_CODE64, 0x62, "CPL after return (64)"
    PASS

; ------------------------------------------------------------ ring 3, 64-bit
r3_64:
    mov ax, cs
    R3CHECK ax, SEL_UCODE64 | 3, 0x70, "r3/64: CS at start"
    ; ---- int 0x80
    mov rax, 0x100000000
    mov rbx, 0x234
    int 0x80
    mov rcx, 0x100000234
    R3CHECK rax, rcx, 0x71, "r3/64: int 0x80 result"
    mov cx, cs
    R3CHECK cx, SEL_UCODE64 | 3, 0x72, "r3/64: CS after iretq"
    mov rcx, STACK3_TOP
    R3CHECK rsp, rcx, 0x73, "r3/64: RSP after iretq"
    ; ---- SYSCALL / SYSRET (64-bit)
    std                                     ; DF=1 must be masked by SFMASK
    mov rdi, 0x123456789
    syscall
r3_sc_ret:
    pushfq
    pop rdx
    cld
    and edx, 0x400
    R3CHECK edx, 0x400, 0x74, "r3/64: RFLAGS.DF not restored from R11"
    mov rcx, 0x12345678A
    R3CHECK rax, rcx, 0x75, "r3/64: syscall result"
    mov cx, cs
    R3CHECK cx, SEL_UCODE64 | 3, 0x76, "r3/64: CS after sysret"
    mov cx, ss
    R3CHECK cx, SEL_UDATA | 3, 0x77, "r3/64: SS after sysret"
    mov rcx, STACK3_TOP
    R3CHECK rsp, rcx, 0x78, "r3/64: RSP after sysret"
    ; ---- SYSCALL, then SYSRET to compatibility mode
    mov rdi, -1                             ; ask for a 32-bit return
    syscall
    jmp $

bits 32
r3_compat:
    mov cx, cs
    R3CHECK cx, SEL_UCODE32 | 3, 0x79, "r3/compat: CS after sysretd"
    R3CHECK eax, 0xC0FFEE, 0x7A, "r3/compat: result"
    mov eax, 0
    db 0xB8
    dd 0x32323232                           ; mov eax, imm32 (32-bit code)
    R3CHECK eax, 0x32323232, 0x7B, "r3/compat: not 32-bit code"
    mov eax, 0x600D64
    int 0x81
bits 64

; ------------------------------------------------------------ ring 0, 64-bit
int80_64:
    mov dx, cs
    CHECK dx, SEL_CODE64, 0x80, "int80/64: CS"
    mov dx, ss
    CHECK dx, 0, 0x81, "int80/64: SS not NULL"
    lea rdx, [rsp + 40]
    CHECK rdx, [TSS64_BASE + 4], 0x82, "int80/64: not on RSP0 stack"
    mov rdx, [rsp + 8]
    CHECK rdx, SEL_UCODE64 | 3, 0x83, "int80/64: saved CS"
    mov rdx, [rsp + 24]
    CHECK rdx, STACK3_TOP, 0x84, "int80/64: saved RSP"
    mov rdx, [rsp + 32]
    CHECK rdx, SEL_UDATA | 3, 0x85, "int80/64: saved SS"
    add rax, rbx
    iretq

; SYSCALL: RCX = return RIP, R11 = RFLAGS, CS = STAR[47:32], SS = +8, RSP unchanged
sc_64:
    mov ax, cs
    CHECK ax, SEL_CODE64, 0x90, "syscall: CS"
    mov ax, ss
    CHECK ax, SEL_DATA64, 0x91, "syscall: SS"
    mov rax, STACK3_TOP
    CHECK rsp, rax, 0x92, "syscall: RSP changed"
    pushfq
    pop rax
    test eax, 0x40700
    jz .masked
    FAILV 0x93, "syscall: RFLAGS not masked by SFMASK", rax
.masked:
    cmp rdi, -1
    je .compat
    mov rax, r11
    test eax, 0x400
    jnz .df
    FAILV 0x94, "syscall: R11 lacks user DF", rax
.df:
    mov rax, r3_sc_ret
    CHECK rcx, rax, 0x95, "syscall: RCX (return RIP)"
    lea rax, [rdi + 1]
    o64 sysret
.compat:
    mov rcx, r3_compat
    and r11d, ~0x400
    mov eax, 0xC0FFEE
    sysret                                  ; 32-bit: CS = STAR[63:48]

int81_64:
    mov [v_scratch], eax
    jmp ring0_resume64

int82_64:
    mov esi, ebx
    jmp failv_64
