; realmode-wrap.asm -- real mode at the 64 KiB end of a segment, as a 386+ does it.
;   t1  sequential execution past offset FFFF: the one-byte INC AX at 1000:FFFF (reached by a
;       far jump) executes, then the next fetch, at EIP = 10000h, is beyond the CS limit FFFF:
;       #GP (vector 13, no error code in real mode) with CS = 1000 and the low 16 bits of EIP
;       (0000) pushed -- the 8086 would wrap to 1000:0000 and go on;
;   t2  an instruction that crosses offset FFFF (MOV BX, AX = 89 C3 at 1000:FFFF): #GP before it
;       executes, pushed IP = FFFF, BX unchanged;
;   t3  a near jump whose target passes FFFF wraps: 16-bit operand size truncates EIP to 16 bits
;       (JMP rel8 at 1000:FFFC lands at 1000:0002);
;   t4  REP MOVSW whose DI reaches FFFF after three words: #GP with the three words stored,
;       CX/SI/DI stepped for them only, and the address of the REP prefix pushed;
;   t5  SS: REP LODSW whose SI reaches FFFF after two words: #SS (vector 12), AX = the second
;       word, CX/SI stepped twice, the address of the first prefix pushed.
; Follows the Intel 386 PRM 14.7 (item 8: sequential execution across offset 65,535 raises
; exception 13 where the 8086 wraps), SDM vol. 3 22.33.1 (segment wraparound: #GP, #SS through
; SS), vol. 2 JMP (16-bit operand size: EIP AND 0000FFFFH), vol. 2 REP and vol. 3 6.5 (a fault
; in a string instruction leaves the registers of the completed iterations; restartable).
%define TESTNAME "realmode-wrap"
%include "lib/common.inc"

SEG_A   equ 0x1000                  ; code written at its offsets FFFC-FFFF and 0000-0006
SEG_B   equ 0x2000                  ; 2000:0002 = 1000:10002, where an unwrapped t3 would land
SEG_SRC equ 0x3000                  ; t4 source words
SEG_DST equ 0x4000                  ; t4 destination

v_vec    equ VARS + 0x40            ; vector seen by the handler (0xff: none)
v_ip     equ VARS + 0x42            ; the frame it found
v_cs     equ VARS + 0x44
v_fl     equ VARS + 0x46
v_resume equ VARS + 0x48            ; far pointer the handler jumps to

; EXPECT_FAULT label: arm the handler to resume at `label`
%macro EXPECT_FAULT 1
    mov byte [ss:v_vec], 0xff
    mov word [ss:v_resume], %1
    mov word [ss:v_resume + 2], cs
%endmacro

; CHECK_FAULT vector, ip, code: the handler saw `vector` and the pushed IP `ip` (fail codes
; code and code + 1; uses DX)
%macro CHECK_FAULT 3
    movzx dx, byte [ss:v_vec]
    CHECK dx, %1, %3, "vector"
    mov dx, [ss:v_ip]
    CHECK dx, %2, %3 + 1, "pushed IP"
%endmacro

; FARJMP seg, off, target: writes JMP FAR F000:target at seg:off
%macro FARJMP 3
    push es
    mov ax, %1
    mov es, ax
    mov byte [es:%2], 0xEA
    mov word [es:%2 + 1], %3
    mov word [es:%2 + 3], 0xF000
    pop es
%endmacro

section .rm
bits 16

; #GP / #SS in real mode: record the vector and the IP/CS/FLAGS frame, drop it, resume.
rm_gp:
    mov byte [ss:v_vec], 13
    jmp rm_exc
rm_ss:
    mov byte [ss:v_vec], 12
rm_exc:
    pop word [ss:v_ip]
    pop word [ss:v_cs]
    pop word [ss:v_fl]
    jmp far [ss:v_resume]

main_rm:
    mov word [13 * 4], rm_gp
    mov word [13 * 4 + 2], cs
    mov word [12 * 4], rm_ss
    mov word [12 * 4 + 2], cs

    ; ---- t1: INC AX at 1000:FFFF, the next fetch at 10000h
    mov ax, SEG_A
    mov es, ax
    mov byte [es:0xFFFF], 0x40      ; inc ax
    FARJMP SEG_A, 0x0000, t1_wrapped
    EXPECT_FAULT t1_back
    xor ax, ax
    jmp SEG_A:0xFFFF
t1_wrapped:
    FAIL 0x11, "t1: execution wrapped from 1000:FFFF to 1000:0000 (no #GP)"
t1_back:
    CHECK_FAULT 13, 0x0000, 0x12
    CHECK ax, 1, 0x14, "t1: INC AX at FFFF did not execute once"
    mov dx, [ss:v_cs]
    CHECK dx, SEG_A, 0x15, "t1: pushed CS"

    ; ---- t2: MOV BX, AX across offset FFFF
    mov ax, SEG_A
    mov es, ax
    mov byte [es:0xFFFF], 0x89      ; mov bx, ax (89 C3), second byte at 1000:0000
    mov byte [es:0x0000], 0xC3
    FARJMP SEG_A, 0x0001, t2_ran
    EXPECT_FAULT t2_back
    mov ax, 0x1234
    mov bx, 0x5678
    jmp SEG_A:0xFFFF
t2_ran:
    FAIL 0x21, "t2: an instruction crossing offset FFFF executed"
t2_back:
    CHECK_FAULT 13, 0xFFFF, 0x22
    CHECK bx, 0x5678, 0x24, "t2: BX changed"

    ; ---- t3: JMP rel8 at 1000:FFFC to FFFE + 4 = 10002h -> 0002
    mov ax, SEG_A
    mov es, ax
    mov word [es:0xFFFC], 0x04EB    ; jmp short $+6
    FARJMP SEG_A, 0x0002, t3_ok
    FARJMP SEG_B, 0x0002, t3_nowrap
    EXPECT_FAULT t3_fault
    jmp SEG_A:0xFFFC
t3_nowrap:
    FAIL 0x31, "t3: near jump target not truncated to 16 bits"
t3_fault:
    FAIL 0x32, "t3: near jump past FFFF faulted"
t3_ok:

    ; ---- t4: REP MOVSW, DI = FFF9 -> faults at the fourth word (DI = FFFF)
    mov ax, SEG_SRC
    mov ds, ax
    mov ax, SEG_DST
    mov es, ax
    mov word [0x100], 0x1111
    mov word [0x102], 0x2222
    mov word [0x104], 0x3333
    mov word [0x106], 0x4444
    mov byte [es:0xFFFF], 0xAA
    mov byte [es:0x0000], 0xAA
    EXPECT_FAULT t4_back
    cld
    mov si, 0x100
    mov di, 0xFFF9
    mov cx, 5
t4_insn:
    rep movsw
    xor ax, ax
    mov ds, ax
    FAIL 0x41, "t4: no fault"
t4_back:
    xor ax, ax
    mov ds, ax
    CHECK_FAULT 13, t4_insn, 0x42          ; the address of the REP prefix
    CHECK cx, 2, 0x44, "t4: CX (three words done)"
    CHECK si, 0x106, 0x45, "t4: SI"
    CHECK di, 0xFFFF, 0x46, "t4: DI"
    mov ax, [es:0xFFF9]
    CHECK ax, 0x1111, 0x47, "t4: first word"
    mov ax, [es:0xFFFD]
    CHECK ax, 0x3333, 0x48, "t4: third word"
    mov al, [es:0xFFFF]
    CHECK al, 0xAA, 0x49, "t4: the faulting word was stored (low byte)"
    mov al, [es:0x0000]
    CHECK al, 0xAA, 0x4A, "t4: the faulting word was stored (high byte)"

    ; ---- t5: SS: REP LODSW, SI = FFFB -> #SS at the third word (SI = FFFF)
    mov word [ss:0xFFFB], 0x5555
    mov word [ss:0xFFFD], 0x6666
    EXPECT_FAULT t5_back
    mov si, 0xFFFB
    mov cx, 5
    xor ax, ax
t5_insn:
    db 0x36, 0xF3, 0xAD             ; ss rep lodsw
    FAIL 0x51, "t5: no fault"
t5_back:
    CHECK_FAULT 12, t5_insn, 0x52          ; #SS for the SS source; the first prefix
    CHECK ax, 0x6666, 0x54, "t5: AX (second word)"
    CHECK cx, 3, 0x55, "t5: CX"
    CHECK si, 0xFFFF, 0x56, "t5: SI"

    PASS

section .pm
bits 32
main32:
    FAIL 0x7F, "main32 reached"
