; smc.asm -- self-modifying code (code copied from ROM to RAM first).
; Real mode (code at 1000:0000):
;   t1  a store patches the immediate of the very next instruction (same
;       block, no jump in between);
;   t2  a function called 4 times gets its immediate rewritten, then is called
;       4 more times;
;   t3  a loop patches the immediate of an instruction in its own body on
;       every iteration;
;   t4  a function's opcode (add -> sub) is rewritten after 3 calls.
; 32-bit protected mode with paging (the code page is mapped at two linear
; addresses X and W, both -> the same physical page):
;   the same patterns, with the stores done through the W alias while the
;   code runs at X (including patching the next instruction of the running
;   block), a store through X itself, and a PTE change + INVLPG that makes X
;   point at another physical page holding different code.
; Follows Intel SDM vol. 3A ch. 11.6 (self-modifying code), 4.10.4
; (TLB invalidation), and the cross-modifying rules of 8.1.3 (single CPU).
%define TESTNAME "smc"
%include "lib/common.inc"

RM_SEG  equ 0x1000                  ; real-mode code copy at 0x10000
PD      equ 0x20000
PT0     equ 0x21000
CODE_P  equ 0x30000                 ; physical code page
CODE_P2 equ 0x31000                 ; second physical page (remap test)
X_LIN   equ 0x200000                ; execute alias
W_LIN   equ 0x300000                ; write alias

; ------------------------------------------------------------ real mode
section .rm
bits 16
%define RMOFF(l) ((l) - tmpl_rm)

main_rm:
    ; copy the template to 1000:0000
    push ds
    mov ax, cs
    mov ds, ax
    mov ax, RM_SEG
    mov es, ax
    mov si, tmpl_rm
    xor di, di
    mov cx, tmpl_rm_end - tmpl_rm
    rep movsb
    pop ds

    call RM_SEG:RMOFF(rm_t1)
    CHECK ax, 2, 0x11, "real t1: patched next instruction not seen"
    call RM_SEG:RMOFF(rm_t2)
    CHECK ax, 4*5 + 4*7, 0x12, "real t2: rewritten function"
    call RM_SEG:RMOFF(rm_t3)
    CHECK ax, 45, 0x13, "real t3: loop patching its own body"
    call RM_SEG:RMOFF(rm_t4)
    CHECK ax, 100, 0x14, "real t4: opcode rewrite"
    CHECK dx, 30, 0x15, "real t4: dx"
    ; the RAM copy really was modified
    push es
    mov ax, RM_SEG
    mov es, ax
    mov al, [es:RMOFF(rm_g)]
    pop es
    CHECK al, 0x29, 0x16, "real: patched opcode not in memory"
    jmp go_pm32

tmpl_rm:
rm_t1:
    mov ax, 0
    mov byte [cs:RMOFF(rm_t1_ins) + 1], 2
rm_t1_ins:
    mov ax, 1                       ; B8 01 00
    retf

rm_t2:
    xor bx, bx
    mov cx, 4
.a: call rm_f
    add bx, ax
    loop .a
    mov byte [cs:RMOFF(rm_f) + 1], 7
    mov cx, 4
.b: call rm_f
    add bx, ax
    loop .b
    mov ax, bx
    retf
rm_f:
    mov ax, 5                       ; B8 05 00
    ret

rm_t3:
    xor ax, ax
    mov cx, 10
rm_t3_loop:
rm_t3_ins:
    add ax, strict byte 0           ; 83 C0 ib
    inc byte [cs:RMOFF(rm_t3_ins) + 2]
    loop rm_t3_loop
    retf

rm_t4:
    mov ax, 100
    mov dx, 30
    call rm_g
    call rm_g
    call rm_g                       ; 190
    mov byte [cs:RMOFF(rm_g)], 0x29 ; add r/m16,r16 (01) -> sub (29)
    call rm_g
    call rm_g
    call rm_g                       ; 100
    retf
rm_g:
    add ax, dx                      ; 01 D0
    ret
tmpl_rm_end:

; ------------------------------------------------------------ 32-bit + paging
section .pm
bits 32
%define XOFF(l) ((l) - tmpl32)

main32:
    ; copy the 32-bit template to both physical pages; page 2 gets a
    ; different immediate in p_f
    mov esi, tmpl32
    mov edi, CODE_P
    mov ecx, tmpl32_end - tmpl32
    rep movsb
    mov esi, tmpl32
    mov edi, CODE_P2
    mov ecx, tmpl32_end - tmpl32
    rep movsb
    mov dword [CODE_P2 + XOFF(p_f) + 1], 0x44444444
    ; page tables: identity 0..4 MiB, X and W -> CODE_P
    mov edi, PT0
    mov eax, 0x3
    mov ecx, 1024
.l: mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .l
    mov dword [PT0 + (X_LIN >> 12) * 4], CODE_P | 0x3
    mov dword [PT0 + (W_LIN >> 12) * 4], CODE_P | 0x3
    mov edi, PD
    mov ecx, 1024
    xor eax, eax
    rep stosd
    mov dword [PD], PT0 | 0x3
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    ; ---- function run several times, then rewritten through the W alias
    xor ebx, ebx
    mov esi, 5
.r1: call X_LIN + XOFF(p_f)
    add ebx, eax
    dec esi
    jnz .r1
    CHECK ebx, 5 * 0x11111111, 0x21, "pm: p_f before patch"
    mov dword [W_LIN + XOFF(p_f) + 1], 0x33333333
    xor ebx, ebx
    mov esi, 3
.r2: call X_LIN + XOFF(p_f)
    add ebx, eax
    dec esi
    jnz .r2
    CHECK ebx, 3 * 0x33333333, 0x22, "pm: p_f patched through alias"
    ; ---- patch through the executing alias itself
    mov dword [X_LIN + XOFF(p_f) + 1], 0x55555555
    call X_LIN + XOFF(p_f)
    CHECK eax, 0x55555555, 0x23, "pm: p_f patched through X"
    ; ---- running code patches its next instruction through the W alias
    call X_LIN + XOFF(p_t1)
    CHECK eax, 0x22222222, 0x24, "pm: next instruction patched through alias"
    ; ---- loop patching its own body through W
    call X_LIN + XOFF(p_t3)
    CHECK eax, 45, 0x25, "pm: loop patching its own body through alias"
    ; ---- opcode rewrite through W after several calls
    mov eax, 100
    mov edx, 30
    call X_LIN + XOFF(p_g)
    call X_LIN + XOFF(p_g)
    call X_LIN + XOFF(p_g)
    CHECK eax, 190, 0x26, "pm: p_g before patch"
    mov byte [W_LIN + XOFF(p_g)], 0x29
    call X_LIN + XOFF(p_g)
    call X_LIN + XOFF(p_g)
    call X_LIN + XOFF(p_g)
    CHECK eax, 100, 0x27, "pm: p_g opcode patched through alias"
    ; ---- remap X to the other physical page
    mov dword [PT0 + (X_LIN >> 12) * 4], CODE_P2 | 0x3
    invlpg [X_LIN]
    call X_LIN + XOFF(p_f)
    CHECK eax, 0x44444444, 0x28, "pm: X remapped (INVLPG) still runs old code"
    ; and back
    mov dword [PT0 + (X_LIN >> 12) * 4], CODE_P | 0x3
    invlpg [X_LIN]
    call X_LIN + XOFF(p_f)
    CHECK eax, 0x55555555, 0x29, "pm: X mapped back"
    PASS

tmpl32:
p_f:
    mov eax, 0x11111111             ; B8 imm32
    ret
p_t1:
    mov eax, 0
    mov dword [W_LIN + XOFF(p_t1_ins) + 1], 0x22222222
p_t1_ins:
    mov eax, 0x11111111
    ret
p_t3:
    xor eax, eax
    mov ecx, 10
p_t3_loop:
p_t3_ins:
    add eax, strict byte 0          ; 83 C0 ib
    inc byte [W_LIN + XOFF(p_t3_ins) + 2]
    loop p_t3_loop
    ret
p_g:
    add eax, edx                    ; 01 D0
    ret
tmpl32_end:
