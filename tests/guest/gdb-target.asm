; gdb-target.asm -- the guest the debugger tests (tests/gdb) attach to; it also passes on its own.
; Real mode: a few straight-line instructions to single-step.  Then flat 32-bit protected mode
; with 32-bit paging (SDM vol. 3A, 4.3) and known tables for the monitor's teaching views:
;   PD at 0x20000; PDE 0 -> PT at 0x21000: identity 4 KiB pages of 0..4 MiB, P|R/W (supervisor);
;   PDE 2: a 4 MiB page (CR4.PSE) at linear 0x800000 -> physical 0x1000000, P|R/W|U/S|PS;
;   PDE 3: not present (linear 0xC00000 faults).
; Then a UD2 whose #UD handler skips it (for `explain fault` and `-d int`), and a loop that increments the dword at VAR five times through `mov [VAR], eax` (A3 disp32),
; each store followed by a NOP (a watchpoint stops right after the store), and PASS.
%define TESTNAME "gdb-target"
%include "lib/common.inc"

PD      equ 0x20000
PT0     equ 0x21000
VAR     equ 0x6000

section .rm
bits 16
main_rm:
    mov ax, 1
    inc ax
    add ax, ax
    mov bx, ax
    xor cx, cx
    inc cx
    inc cx
    dec bx
    nop
    mov dx, 0x1234
    nop
    jmp go_pm32

section .pm
bits 32
main32:
    mov edi, PD
    mov ecx, 2 * 4096 / 4
    xor eax, eax
    rep stosd
    mov edi, PT0
    mov eax, 0x3                    ; P R/W
    mov ecx, 1024
.map:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .map
    mov dword [PD + 0*4], PT0 | 0x3
    mov dword [PD + 2*4], 0x1000000 | 0x87      ; 4 MiB page, P R/W U/S PS
    mov eax, cr4
    or eax, 1 << 4                  ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 1 << 31                 ; PG
    mov cr0, eax
    jmp .paged
.paged:
    IDT32_SET 6, ud_handler, 0x8E
    ud2
    mov dword [VAR], 0
    mov dword [0x800000], 0x5a5a5a5a
    mov ecx, 5
.loop:
    mov eax, [VAR]
    inc eax
    mov [VAR], eax                  ; A3 00 60 00 00
    nop
    loop .loop
    mov eax, [VAR]
    CHECK eax, 5, 0x11, "counter"
    mov eax, [0x800000]
    CHECK eax, 0x5a5a5a5a, 0x12, "4 MiB page"
    PASS

ud_handler:
    add dword [esp], 2              ; return past the UD2
    iretd
