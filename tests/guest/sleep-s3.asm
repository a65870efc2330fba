; sleep-s3.asm -- a sleep state the machine does not offer ends the run.
; softvisor's DSDT declares only \_S5 (soft-off).  This guest enables the PIIX4 PM block as a
; firmware does (PMBA = 0x600, PMREGMISC.PMIOSE, SMI_CMD 0xB2 <- 0xF1 ACPI_ENABLE), then writes
; PM1a_CNT with SLP_TYP = 1 (suspend to RAM in the PIIX4's encoding, \_S3 in QEMU's DSDT) and
; SLP_EN.  softvisor must end the run at that write with exit status 4 (softvisor --help) and a
; message naming S3; the guest must not run on as if it had slept and woken.
; Run with run-guest.sh --expect-status 4: passes when the status is 4 and the log has no FAIL.
; softvisor only: QEMU models S3 on i440FX (the machine suspends, waits for a wake event and
; then resets into the firmware), so this guest's run under QEMU can neither exit nor pass.
; Specs: ACPI 6.4 4.8.3.2.1 (PM1 control: SLP_TYP, SLP_EN), 7.4.2 (\_Sx); 82371AB PIIX4 datasheet
; (function 3: PMBA 0x40, PMREGMISC 0x80, PMCNTRL SUS_TYP/SUS_EN).
%define TESTNAME "sleep-s3"
%include "lib/common.inc"

PM_BASE equ 0x600
SLP_TYP_S3 equ 1 << 10
SLP_EN equ 1 << 13
SCI_EN equ 1

section .rm
bits 16
main_rm:
    ; PMBA = 0x600 | 1 (I/O space), PMREGMISC.PMIOSE = 1 on 00:01.3
    mov dx, 0xCF8
    mov eax, 0x80000000 | (1 << 11) | (3 << 8) | 0x40
    out dx, eax
    mov dx, 0xCFC
    mov eax, PM_BASE | 1
    out dx, eax
    mov dx, 0xCF8
    mov eax, 0x80000000 | (1 << 11) | (3 << 8) | 0x80
    out dx, eax
    mov dx, 0xCFC
    mov al, 1
    out dx, al

    mov al, 0xF1                    ; ACPI_ENABLE
    out 0xB2, al
    mov dx, PM_BASE + 4
    in ax, dx
    test ax, SCI_EN
    jnz .acpi_on
    FAILV 0x11, "SCI_EN after ACPI_ENABLE", ax
.acpi_on:

    PRINT TESTNAME, ": requesting S3 (SLP_TYP 1, SLP_EN); the run must end here", 10
    mov dx, PM_BASE + 4
    mov ax, SCI_EN | SLP_TYP_S3 | SLP_EN
    out dx, ax
    FAIL 0x12, "still running after the S3 request"

section .pm
bits 32
main32:                             ; not used: everything happens in real mode
    FAIL 0x7F, "main32 reached"
