; debug-bp.asm -- breakpoints from DR0-DR3 / DR7 in 32-bit ring 0:
;   instruction breakpoint (DR0): #DB fault with EIP at the instruction,
;     DR6.B0, RF = 0 in the pushed EFLAGS; the handler sets RF in the image
;     and the instruction then runs once; RF is clear again afterwards, so
;     the next execution hits again;
;   data write breakpoint (DR1, 4 bytes): #DB trap after a write to any byte
;     of the dword, DR6.B1; reads and neighbouring bytes do not hit;
;   data read/write breakpoint (DR2, 2 bytes): reads and writes hit, the byte
;     after does not; a REP STOSB over it traps after the iteration that
;     wrote it, EIP still at the instruction;
;   an 8-byte write breakpoint (DR3, LEN = 10) in 64-bit mode.
; (Where QEMU 7.2 departs from the SDM -- RF pushed by faults, the ignored
; low bits of an unaligned DRn, DR7.GD -- see debug-sdm.asm.)
; Follows Intel SDM vol. 3A 17.2 (debug registers), 17.3.1.1 (instruction
; breakpoint, RF), 17.3.1.2 (data breakpoints).
%define TESTNAME "debug-bp"
%include "lib/common.inc"

hits        equ VARS + 0x100    ; #DB taken
rep_edi     equ VARS + 0x124    ; EDI at the first #DB (when 0)
db_eip      equ VARS + 0x108    ; (qword) last #DB: EIP, DR6, pushed EFLAGS
db_dr6      equ VARS + 0x110
db_fl       equ VARS + 0x114
set_rf      equ VARS + 0x118    ; 1: the #DB handler sets RF in the image
wvar        equ 0x8000          ; watched data (own page)
rvar        equ 0x8010
qvar        equ 0x8020

; DB_EXPECT n, eip, dr6bits, code, "what": exactly n #DB so far, the last
; at `eip` with the B0-B3/BS/BD bits `dr6bits`
%macro DB_EXPECT 5
    CHECK dword [hits], %1, %4, %5
    CHECK dword [db_eip], %2, %4 + 1, %5
    mov eax, [db_dr6]
    and eax, 0xE00F
    CHECK eax, %3, %4 + 2, %5
%endmacro

%macro DB_RESET 0
    mov dword [hits], 0
    mov dword [db_eip], 0
    mov dword [db_dr6], 0
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 1, db32, 0x8E
    xor eax, eax
    mov dr6, eax

    ; ---- instruction breakpoint on .ibp
    mov eax, .ibp
    mov dr0, eax
    mov eax, 0x00000001             ; L0, R/W0 = 00 (execute), LEN0 = 00
    mov dr7, eax
    DB_RESET
    mov dword [set_rf], 1
    xor ecx, ecx
.again:
.ibp:
    inc ecx
    cmp ecx, 1
    jne .twice
    DB_EXPECT 1, .ibp, 1, 0x11, "ibp: first pass"
    mov eax, [db_fl]
    and eax, 0x10000
    CHECK eax, 0, 0x14, "ibp: RF set in the pushed EFLAGS"
    jmp .again
.twice:
    DB_EXPECT 2, .ibp, 1, 0x16, "ibp: second pass"
    CHECK ecx, 2, 0x19, "ibp: instruction count"
    xor eax, eax
    mov dr7, eax

    ; ---- data write breakpoint, 4 bytes at wvar
    mov dword [wvar], 0
    mov dword [wvar + 4], 0
    mov eax, wvar
    mov dr1, eax
    mov eax, 0x00D00004             ; L1, R/W1 = 01 (write), LEN1 = 11 (4)
    mov dr7, eax
    DB_RESET
    mov eax, [wvar]                 ; read: no hit
    mov byte [wvar + 4], 1          ; next dword: no hit
    mov byte [wvar - 1], 1          ; byte before: no hit
    CHECK dword [hits], 0, 0x1A, "dbw: read or neighbour hit"
    mov byte [wvar + 2], 7
.w1:
    DB_EXPECT 1, .w1, 2, 0x1B, "dbw: write to byte 2"
    mov ax, 0x1234
    mov [wvar + 3], ax              ; straddles the end of the range
.w2:
    DB_EXPECT 2, .w2, 2, 0x1E, "dbw: straddling write"
    xor eax, eax
    mov dr7, eax

    ; ---- data read/write breakpoint, 2 bytes at rvar
    mov dword [rvar], 0
    mov eax, rvar
    mov dr2, eax
    mov eax, 0x07000010             ; L2, R/W2 = 11 (read/write), LEN2 = 01 (2)
    mov dr7, eax
    DB_RESET
    mov al, [rvar + 2]              ; outside: no hit
    CHECK dword [hits], 0, 0x21, "dbrw: byte after the range hit"
    mov al, [rvar + 1]
.r1:
    DB_EXPECT 1, .r1, 4, 0x22, "dbrw: read"
    add dword [rvar], 1
.r2:
    DB_EXPECT 2, .r2, 4, 0x25, "dbrw: read-modify-write"
    ; REP STOSB over the range (4 bytes from rvar - 1): traps after the
    ; iterations that write rvar and rvar + 1, EIP still at the REP STOSB,
    ; EDI as the iteration left it
    mov dword [rep_edi], 0
    mov edi, rvar - 1
    mov ecx, 4
    mov al, 0x55
    cld
.rep:
    rep stosb
    CHECK dword [hits], 4, 0x28, "dbrw: rep stosb: traps"
    CHECK dword [db_eip], .rep, 0x29, "dbrw: rep stosb: EIP of the trap"
    CHECK dword [rep_edi], rvar + 1, 0x2A, "dbrw: rep stosb: EDI at the first trap"
    CHECK ecx, 0, 0x2B, "dbrw: rep stosb: ECX at the end"
    xor eax, eax
    mov dr7, eax

    mov ebx, main64
    jmp go_long


; #DB: count, log EIP, DR6 and EFLAGS; DR6 := 0; RF in the image if asked
db32:
    inc dword [hits]
    push eax
    mov eax, [esp + 4]
    mov [db_eip], eax
    cmp dword [rep_edi], 0
    jne .edi
    mov [rep_edi], edi
.edi:
    mov eax, dr6
    mov [db_dr6], eax
    mov eax, [esp + 12]
    mov [db_fl], eax
    cmp dword [set_rf], 0
    je .norf
    or dword [esp + 12], 0x10000
.norf:
    xor eax, eax
    mov dr6, eax
    pop eax
    iretd

; ================================================================ 64-bit
bits 64
main64:
    IDT64_SET 1, db64, 0x8E
    mov qword [qvar], 0
    mov qword [qvar + 8], 0
    mov eax, qvar
    mov dr3, rax
    mov eax, 0x90000040             ; L3, R/W3 = 01 (write), LEN3 = 10 (8 bytes)
    mov dr7, rax
    DB_RESET
    mov byte [qvar + 8], 1          ; next qword: no hit
    CHECK dword [hits], 0, 0x31, "dbw8: byte after the range hit"
    mov byte [qvar + 7], 1
.q1:
    mov rax, .q1
    CHECK qword [db_eip], rax, 0x32, "dbw8: RIP of the trap"
    CHECK dword [hits], 1, 0x33, "dbw8: write to byte 7"
    mov eax, [db_dr6]
    and eax, 0xF
    CHECK eax, 8, 0x34, "dbw8: DR6.B3"
    xor eax, eax
    mov dr7, rax
    PASS

db64:
    inc dword [hits]
    push rax
    mov rax, [rsp + 8]
    mov [db_eip], rax
    mov rax, dr6
    mov [db_dr6], eax
    xor eax, eax
    mov dr6, rax
    pop rax
    iretq
