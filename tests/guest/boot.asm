; boot.asm -- smallest bring-up guest: reset vector -> far jump to F000,
; real-mode basics only: CR0.PE clear, arithmetic results and flags
; (OF SF ZF AF PF CF after add/sub/inc/shl), mul/div, call/ret, push/pop,
; loop, rep movsb + repe cmpsb, then PASS on port 0xE9/0xF4. Meant as the
; first guest to run on a new emulator, before `modes`.
; Follows Intel SDM vol. 3A ch. 9.1 (processor state after reset), vol. 1
; ch. 3.4.3 (EFLAGS), vol. 2 (ADD, SUB, INC, SHL, MUL, DIV, MOVS, CMPS).
%define TESTNAME "boot"
%include "lib/common.inc"

ARITH_MASK equ 0x08D5               ; OF SF ZF AF PF CF

; FLAGS code, expected  -- compare arithmetic flags
%macro FLAGS 2
    pushf
    pop dx
    and dx, ARITH_MASK
    CHECK dx, %2, %1, "flags"
%endmacro

section .rm
bits 16
main_rm:
    PRINT "boot: reset vector reached", 10
    mov eax, cr0
    test al, 1
    jz .rm
    FAILV 0x11, "CR0.PE set", eax
.rm:
    mov ax, cs
    CHECK ax, 0xF000, 0x12, "CS after far jump"

    mov al, 0x7F
    add al, 1
    FLAGS 0x13, 0x0890              ; OF SF AF
    CHECK al, 0x80, 0x14, "add al"
    mov ax, 0xFFFF
    add ax, 1
    FLAGS 0x15, 0x0055              ; ZF AF PF CF
    CHECK ax, 0, 0x16, "add ax"
    mov al, 0
    sub al, 1
    FLAGS 0x17, 0x0095              ; SF AF PF CF
    CHECK al, 0xFF, 0x18, "sub al"
    stc
    mov bx, 0x7FFF
    inc bx                          ; CF preserved
    FLAGS 0x19, 0x0895              ; OF SF AF PF CF
    CHECK bx, 0x8000, 0x1A, "inc bx"
    mov cx, 0x4001
    shl cx, 1
    FLAGS 0x1B, 0x0880              ; OF (top bits differ) SF
    CHECK cx, 0x8002, 0x1C, "shl cx"

    mov ax, 1234
    mov bx, 56
    mul bx
    CHECK dx, 1, 0x1D, "mul dx"
    CHECK ax, 0x0DF0, 0x1E, "mul ax"
    div bx
    CHECK ax, 1234, 0x1F, "div quotient"
    CHECK dx, 0, 0x20, "div remainder"

    ; call/ret, push/pop, loop
    mov cx, 10
    xor ax, ax
.l: call add_cx
    loop .l
    CHECK ax, 55, 0x21, "loop/call sum"
    mov bx, sp
    push word 0x1234
    push word 0x5678
    pop cx
    pop dx
    CHECK cx, 0x5678, 0x22, "pop order"
    CHECK dx, 0x1234, 0x23, "pop order"
    CHECK sp, bx, 0x24, "sp after push/pop"

    ; copy 16 bytes of ROM to RAM and compare
    push ds
    mov ax, cs
    mov ds, ax
    xor ax, ax
    mov es, ax
    mov si, pattern
    mov di, 0x600
    mov cx, 16
    rep movsb
    CHECK cx, 0, 0x25, "rep movsb count"
    mov si, pattern
    mov di, 0x600
    mov cx, 16
    repe cmpsb
    pop ds
    je .same
    FAIL 0x26, "copied bytes differ"
.same:
    CHECK dword [0x60C], 0x0F0E0D0C, 0x27, "copied dword"
    PASS

add_cx:
    add ax, cx
    ret

pattern:
    db 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

section .pm
bits 32
main32:
    FAIL 0x7F, "main32 reached"
