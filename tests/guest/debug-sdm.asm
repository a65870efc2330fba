; debug-sdm.asm -- debug-exception details where QEMU 7.2 TCG departs from
; the SDM (so this guest runs under softvisor only), 32-bit ring 0:
;   INT1 (ICEBP, F1) with TF = 1: one #DB, a trap (EIP after it), no DR6.BS
;     -- QEMU raises #UD for F1 with its default CPU;
;   single step through REP MOVSB: the traps between iterations push RF = 1,
;     the one after the last iteration RF = 0 (SDM vol. 3, 17.3.1.1)
;     -- QEMU pushes RF = 0;
;   a fault (#GP) pushes EFLAGS with RF = 1 -- QEMU pushes RF = 0;
;   a 2-byte read/write breakpoint at an odd address covers the aligned word
;     (the low DRn bit is ignored, SDM vol. 3, 17.2.5)
;     -- QEMU watches the unaligned bytes;
;   DR7.GD: MOV from a debug register raises #DB (fault, EIP at the MOV) with
;     DR6.BD, and the handler finds GD clear; the MOV then runs
;     -- QEMU ignores GD.
; Follows Intel SDM vol. 3A 17.2.4 (DR7.GD), 17.2.5, 17.3.1.1, 17.3.1.4;
; vol. 2 INT1.
%define TESTNAME "debug-sdm"
%include "lib/common.inc"

%include "lib/dbstep.inc"

gp_fl       equ VARS + 0x1C0
gp_resume   equ VARS + 0x1C4
src         equ VARS + 0x1D0
dst         equ VARS + 0x1E0
rvar        equ 0x8010

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 1, db32, 0x8E
    IDT32_SET 13, gp32, 0x8E

    ; ---- INT1 with TF: one #DB for the F1, then the NOP's single step
    STEP_BEGIN .icebp_end
    db 0xF1                         ; int1
.icebp_next:
    nop
.icebp_end:
    CHECK dword [db_hits], 2, 0x11, "int1: #DB count"
    CHECK dword [db_eip], .icebp_next, 0x12, "int1: EIP"
    mov eax, [db_dr6]
    and eax, 0x4000
    CHECK eax, 0, 0x13, "int1: DR6.BS set"

    ; ---- REP MOVSB, ECX = 3, TF: RF = 1 pushed by the traps between
    ; iterations, RF = 0 by the last
    mov esi, src
    mov edi, dst
    mov ecx, 3
    cld
    STEP_BEGIN .rep_end
.rep:
    rep movsb
.rep_end:
    CHECK dword [db_hits], 3, 0x14, "rep movsb: #DB count"
    mov eax, [db_fl]
    and eax, 0x10100
    CHECK eax, 0x10100, 0x15, "rep movsb: trap 1 pushed RF/TF"
    mov eax, [db_fl + 4]
    and eax, 0x10100
    CHECK eax, 0x10100, 0x16, "rep movsb: trap 2 pushed RF/TF"
    mov eax, [db_fl + 8]
    and eax, 0x10100
    CHECK eax, 0x100, 0x17, "rep movsb: trap 3 pushed RF/TF"

    ; ---- #GP pushes RF = 1
    mov dword [gp_fl], 0
    mov dword [gp_resume], .gp_r
    mov ax, 0x200B
    mov ds, ax
.gp_r:
    mov eax, [gp_fl]
    and eax, 0x10000
    CHECK eax, 0x10000, 0x18, "#GP: RF not set in the pushed EFLAGS"

    ; ---- 2-byte read/write breakpoint at rvar + 1 covers rvar..rvar + 1
    mov dword [db_stop], 0
    mov dword [rvar], 0
    mov eax, rvar + 1
    mov dr2, eax
    mov eax, 0x07000010             ; L2, R/W2 = 11, LEN2 = 01 (2 bytes)
    mov dr7, eax
    mov dword [db_hits], 0
    mov al, [rvar + 2]              ; outside the aligned word: no hit
    CHECK dword [db_hits], 0, 0x19, "unaligned DR2: byte after the word hit"
    mov al, [rvar]                  ; inside: hit
.r1:
    CHECK dword [db_hits], 1, 0x1A, "unaligned DR2: first byte of the word"
    CHECK dword [db_eip], .r1, 0x1B, "unaligned DR2: EIP"
    xor eax, eax
    mov dr7, eax

    ; ---- DR7.GD
    xor eax, eax
    mov dr6, eax
    mov dword [db_hits], 0
    mov eax, 0x2000                 ; GD
    mov dr7, eax
    xor eax, eax
.gd:
    mov eax, dr0                    ; #DB (fault), then it runs
    CHECK dword [db_hits], 1, 0x1C, "GD: #DB count"
    CHECK dword [db_eip], .gd, 0x1D, "GD: EIP"
    mov eax, [db_dr6]
    and eax, 0x2000
    CHECK eax, 0x2000, 0x1E, "GD: DR6.BD"
    mov eax, [db_dr7]
    and eax, 0x2000
    CHECK eax, 0, 0x1F, "GD: DR7.GD still set in the handler"
    mov eax, dr7
    and eax, 0x2000
    CHECK eax, 0, 0x20, "GD: DR7.GD set after the handler"
    PASS

gp32:
    push eax
    mov eax, [esp + 16]             ; eax, error code, eip, cs, eflags
    mov [gp_fl], eax
    mov eax, [gp_resume]
    mov [esp + 8], eax
    pop eax
    add esp, 4
    iretd
