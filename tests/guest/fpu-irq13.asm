; fpu-irq13.asm -- x87 errors in MS-DOS compatibility mode (CR0.NE = 0) reach the CPU as
; IRQ 13 through the cascaded 8259 PICs (SDM vol. 1, appendix D.2; 8259A datasheet).
;
; The PICs are programmed as a PC BIOS does (master 0x20-0x27, slave 0x28-0x2F on IR2) with only
; the cascade and IRQ 13 (slave IR5, vector 0x2D) unmasked, and the local APIC in virtual-wire
; mode.  An unmasked FDIV by zero sets ES and raises nothing itself; the next waiting instruction
; asserts FERR#, which the board latches into IRQ 13, and freezes until the interrupt is taken
; (the saved EIP is the waiting instruction, which runs again after IRET).  The handler writes
; port 0xF0 (clears the latch, asserts IGNNE#), clears the exception, sends EOI to the slave and
; the master and returns.
;   1. FWAIT, handler clears the error with FNSTENV/FLDENV: one IRQ 13, vector 0x2D, saved EIP =
;      the FWAIT, ISR and slave IRR clean afterwards, FSW.ES clear;
;   2. FLD1 as the waiting instruction: a second IRQ 13 (latch and IGNNE# were released), saved
;      EIP = the FLD1, which then runs exactly once;
;   3. handler only writes 0xF0 (IGNNE#) and leaves ES set: the waiting instruction goes on
;      ignoring the error and no further IRQ 13 comes while FERR# stays active.
; Runs under softvisor only: QEMU 7.2 aborts on this path (tcg_handle_interrupt: assertion
; qemu_mutex_iothread_locked() fails when FWAIT raises the FERR# IRQ), and it does not freeze
; the waiting instruction.
%define TESTNAME "fpu-irq13"
%include "lib/common.inc"
%include "lib/trap.inc"

CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5
LAPIC_SVR   equ 0xFEE000F0
LAPIC_LINT0 equ 0xFEE00350
LAPIC_LINT1 equ 0xFEE00360

irq_count   equ VARS + 0x50
irq_eip     equ VARS + 0x54
clear_mode  equ VARS + 0x58     ; 0: handler clears via FNSTENV/FLDENV, 1: only port 0xF0
env_buf     equ VARS + 0x60     ; 28-byte FNSTENV image

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
irq13_handler:
    push eax
    mov eax, [esp + 4]
    mov [irq_eip], eax
    inc dword [irq_count]
    xor al, al
    out 0xF0, al                ; clear the IRQ 13 latch, assert IGNNE#
    cmp dword [clear_mode], 0
    jne .eoi
    fnstenv [env_buf]
    and word [env_buf + 4], 0x7F00   ; FSW: clear B, ES, SF and the exception flags
    fldenv [env_buf]            ; waiting instruction: runs thanks to IGNNE#
.eoi:
    mov al, 0x20
    out 0xA0, al                ; slave EOI
    out 0x20, al                ; master EOI
    pop eax
    iret

; any other PIC vector is a failure
stray_handler:
    FAIL 0x30, "stray PIC interrupt"

; WAIT_IRQ n: waits (bounded, inline so that the interrupt lands in the caller's code) until
; irq_count reaches n; CF = 1 on time-out
%macro WAIT_IRQ 1
    mov ecx, 1000000
%%l:
    cmp dword [irq_count], %1
    jae %%done
    dec ecx
    jnz %%l
    stc
    jmp %%out
%%done:
    clc
%%out:
%endmacro

; unmasked 1/0 leaves ES set
make_error:
    fld1
    fldz
    fdivp st1, st0
    ret

main32:
    TRAP_INSTALL
%assign v 0x20
%rep 16
    IDT32_SET v, stray_handler, 0x8E
%assign v v + 1
%endrep
    IDT32_SET 0x2D, irq13_handler, 0x8E
    ; 8259 initialisation as a PC BIOS does it
    mov al, 0x11
    out 0x20, al                ; ICW1: edge, cascade, ICW4
    out 0xA0, al
    mov al, 0x20
    out 0x21, al                ; ICW2 master: 0x20
    mov al, 0x28
    out 0xA1, al                ; ICW2 slave: 0x28
    mov al, 0x04
    out 0x21, al                ; ICW3 master: slave on IR2
    mov al, 0x02
    out 0xA1, al                ; ICW3 slave: ID 2
    mov al, 0x01
    out 0x21, al                ; ICW4: 8086 mode
    out 0xA1, al
    mov al, 0xFB
    out 0x21, al                ; only IR2 (cascade)
    mov al, 0xDF
    out 0xA1, al                ; only IR5 (IRQ 13)
    ; the local APIC passes the 8259's INTR on as a BIOS sets it up: software-enabled, LINT0 =
    ; ExtINT (virtual-wire mode), LINT1 = NMI.  After RESET LINT0 is masked and PIC interrupts
    ; never reach the core.
    or dword [LAPIC_SVR], 0x1FF
    mov dword [LAPIC_LINT0], 0x700
    mov dword [LAPIC_LINT1], 0x400
    in al, 0x21
    CHECK al, 0xFB, 0x11, "master IMR"
    in al, 0xA1
    CHECK al, 0xDF, 0x12, "slave IMR"

    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS | CR0_NE)
    or eax, CR0_MP
    mov cr0, eax
    fninit
    mov word [v_scratch], 0x037B     ; ZM unmasked
    fldcw [v_scratch]
    mov dword [irq_count], 0
    mov dword [clear_mode], 0

    ; --- 1: one IRQ 13 at the waiting instruction
    cli
    call make_error
    fnstsw ax
    and eax, 0x8084
    CHECK eax, 0x8084, 0x13, "fsw after unmasked 1/0"
    CHECK dword [irq_count], 0, 0x14, "irq before any waiting instruction"
    sti
.wait1:
    fwait
    WAIT_IRQ 1
.after1:
    cli
    jnc .got1
    FAIL 0x15, "no IRQ 13 after fwait"
.got1:
    CHECK dword [irq_count], 1, 0x16, "irq count"
    CHECK dword [irq_eip], .wait1, 0x17, "IRQ 13 saved eip (FWAIT)"
    fnstsw ax
    and eax, 0x80FF
    CHECK eax, 0, 0x18, "fsw after handler"
    mov al, 0x0B
    out 0x20, al
    out 0xA0, al
    in al, 0x20
    CHECK al, 0, 0x19, "master ISR after EOI"
    in al, 0xA0
    CHECK al, 0, 0x1A, "slave ISR after EOI"
    mov al, 0x0A
    out 0x20, al
    out 0xA0, al
    in al, 0xA0
    CHECK al, 0, 0x1B, "slave IRR after port 0xF0"

    ; --- 2: a second error interrupts again, at an arithmetic waiting instruction
    call make_error
    fnstsw ax
    shr eax, 11
    and eax, 7
    mov ebx, eax                ; TOP before
    sti
.wait2:
    fld1                        ; frozen, then run once after the handler
    WAIT_IRQ 2
    cli
    jnc .got2
    FAIL 0x1C, "no second IRQ 13"
.got2:
    CHECK dword [irq_eip], .wait2, 0x21, "IRQ 13 saved eip (FLD1)"
    fnstsw ax
    mov edx, eax
    and eax, 0x80FF
    CHECK eax, 0, 0x1D, "fsw after second handler"
    shr edx, 11
    and edx, 7
    inc edx                     ; one push: TOP after + 1 = TOP before
    and edx, 7
    CHECK edx, ebx, 0x22, "FLD1 ran once (TOP + 1)"
    fstp st0

    ; --- 3: IGNNE# only: the error stays pending and is ignored
    mov dword [clear_mode], 1
    call make_error
    sti
    fwait
    WAIT_IRQ 3
    jnc .got3
    FAIL 0x1E, "no third IRQ 13"
.got3:
    fwait                       ; IGNNE#: goes through
    fld1
    fstp st0
    WAIT_IRQ 4
    cli
    jc .none4
    FAIL 0x1F, "IRQ 13 again while IGNNE# active"
.none4:
    fnstsw ax
    and eax, 0x8084
    CHECK eax, 0x8084, 0x20, "fsw: error still pending"
    fnclex
    fninit
    PASS
