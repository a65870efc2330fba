; pcipm.asm -- PCI configuration mechanism #1, the PIIX4 power-management function and the HPET
; as QEMU's i440FX "pc" machine presents them without firmware.
; Real mode: CONFIG_ADDRESS read-back, the IDs of 00:00.0 (i440FX 8086:1237), 00:01.0 (PIIX3
; 8086:7000, multifunction, PIRQ routes 0x80 = disabled) and 00:01.3 (PIIX4 PM 8086:7113 rev 03),
; an absent function reading all ones; PMBA programmed to 0x600 with PMIOSE as a BIOS does, the PM
; timer running, SMI_CMD 0xB2 <- 0xF1 (ACPI_ENABLE) setting SCI_EN, the PM block following a PMBA
; move.  32-bit PM: HPET GCAP_ID/period, a halted counter holding a written value, a level
; comparator on timer 2 (routed to the masked I/O APIC pin 2, IF = 0) setting Tn_INT_STS, and
; the status bit write-1-to-clear.
; Specs: PCI 3.0 3.2.2.3.2; 82371AB PIIX4 datasheet (function 3: PMBA 0x40, PMREGMISC 0x80);
; ACPI 1.0b 4.7.3 (PM1 registers, PM timer); IA-PC HPET 1.0a 2.3.
%define TESTNAME "pcipm"
%include "lib/common.inc"

PM_BASE equ 0x600
PM_ALT equ 0xB000
HPET equ 0xFED00000

; CFGRD dev, fn, reg -> EAX
%macro CFGRD 3
    mov eax, 0x80000000 | ((%1) << 11) | ((%2) << 8) | ((%3) & 0xFC)
    call cfg_rd
%endmacro

; CFGWR dev, fn, reg, value (dword)
%macro CFGWR 4
    mov ebx, %4
    mov eax, 0x80000000 | ((%1) << 11) | ((%2) << 8) | ((%3) & 0xFC)
    call cfg_wr
%endmacro

section .rm
bits 16
main_rm:
    mov dx, 0xCF8
    mov eax, 0x80000000
    out dx, eax
    in eax, dx
    CHECK eax, 0x80000000, 0x11, "CONFIG_ADDRESS read-back"

    CFGRD 0, 0, 0x00
    CHECK eax, 0x12378086, 0x12, "00:00.0 ID"
    CFGRD 0, 0, 0x08
    shr eax, 8
    CHECK eax, 0x060000, 0x13, "00:00.0 class"
    CFGRD 1, 0, 0x00
    CHECK eax, 0x70008086, 0x14, "00:01.0 ID"
    CFGRD 1, 0, 0x0C
    shr eax, 16
    and al, 0x80
    CHECK al, 0x80, 0x15, "00:01.0 multifunction"
    CFGRD 1, 0, 0x60
    CHECK eax, 0x80808080, 0x16, "PIRQRC defaults"
    CFGRD 1, 3, 0x00
    CHECK eax, 0x71138086, 0x17, "00:01.3 ID"
    CFGRD 1, 3, 0x08
    CHECK eax, 0x06800003, 0x18, "00:01.3 class/revision"
    CFGRD 31, 0, 0x00
    CHECK eax, 0xFFFFFFFF, 0x19, "absent 00:1f.0"

    ; byte lanes: the device ID's high byte through port 0xCFF
    mov eax, 0x80000000 | (1 << 11) | (3 << 8)
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFF
    in al, dx
    CHECK al, 0x71, 0x1A, "byte lane 3"

    ; as a BIOS leaves it: PMBA = 0x600, PMIOSE
    CFGWR 1, 3, 0x40, PM_BASE | 1
    CFGRD 1, 3, 0x40
    CHECK eax, PM_BASE | 1, 0x1B, "PMBA"
    CFGWR 1, 3, 0x80, 0x01

    ; the PM timer runs (24 bits)
    mov dx, PM_BASE + 8
    in eax, dx
    mov esi, eax
    mov ecx, 20000
.spin:
    dec ecx
    jnz .spin
    in eax, dx
    test eax, 0xFF000000
    jz .tmr24
    FAILV 0x1C, "PM_TMR above 24 bits", eax
.tmr24:
    sub eax, esi
    and eax, 0xFFFFFF
    jnz .tmr_runs
    FAIL 0x1D, "PM timer stopped"
.tmr_runs:
    cmp eax, 0x100000
    jb .tmr_ok
    FAILV 0x1E, "PM timer too fast", eax
.tmr_ok:

    ; ACPI enable through SMI_CMD sets SCI_EN; disable clears it
    mov dx, PM_BASE + 4
    in ax, dx
    and ax, 1
    CHECK ax, 0, 0x1F, "SCI_EN at reset"
    mov al, 0xF1
    out 0xB2, al
    in ax, dx
    and ax, 1
    CHECK ax, 1, 0x20, "SCI_EN after ACPI_ENABLE"
    mov al, 0xF0
    out 0xB2, al
    in ax, dx
    and ax, 1
    CHECK ax, 0, 0x21, "SCI_EN after ACPI_DISABLE"

    ; PM1_EN is read/write
    mov dx, PM_BASE + 2
    mov ax, 0x0100
    out dx, ax
    in ax, dx
    CHECK ax, 0x0100, 0x22, "PM1_EN PWRBTN_EN"
    xor ax, ax
    out dx, ax

    ; the PM block follows PMBA
    CFGWR 1, 3, 0x40, PM_ALT | 1
    mov dx, PM_ALT + 8
    in eax, dx
    test eax, 0xFF000000
    jz .moved
    FAILV 0x23, "PM timer not at new PMBA", eax
.moved:
    mov dx, PM_BASE + 8
    in eax, dx
    CHECK eax, 0xFFFFFFFF, 0x24, "old PM block still decoded"
    CFGWR 1, 3, 0x40, PM_BASE | 1

    jmp go_pm32

; cfg_rd: EAX = CONFIG_ADDRESS -> EAX = CONFIG_DATA
cfg_rd:
    push dx
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    pop dx
    ret

; cfg_wr: EAX = CONFIG_ADDRESS, EBX = value
cfg_wr:
    push dx
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov eax, ebx
    out dx, eax
    pop dx
    ret

section .pm
bits 32
main32:
    cli
    mov eax, [HPET]
    CHECK eax, 0x8086A201, 0x30, "HPET GCAP_ID"
    mov eax, [HPET + 4]
    CHECK eax, 10000000, 0x31, "HPET period (fs)"

    ; halted: the counter keeps a written value
    mov dword [HPET + 0x10], 0
    mov dword [HPET + 0xF0], 0x12345678
    mov dword [HPET + 0xF4], 0
    mov ecx, 1000
.hold:
    dec ecx
    jnz .hold
    mov eax, [HPET + 0xF0]
    CHECK eax, 0x12345678, 0x32, "halted counter"
    mov dword [HPET + 0xF0], 0

    ; timer 2: level, INT_ENB, route 2 (masked at the I/O APIC), match at 1000 ticks (10 us)
    mov eax, [HPET + 0x144]
    test eax, 4
    jnz .route_ok
    FAILV 0x33, "timer 2 cannot route to pin 2", eax
.route_ok:
    mov dword [HPET + 0x140], 0x406
    mov dword [HPET + 0x148], 1000
    mov dword [HPET + 0x14C], 0
    mov dword [HPET + 0x10], 1          ; ENABLE_CNF
    mov ecx, 100000000
.poll:
    test dword [HPET + 0x20], 4
    jnz .fired
    dec ecx
    jnz .poll
    FAILV 0x34, "timer 2 never matched", dword [HPET + 0xF0]
.fired:
    mov eax, [HPET + 0xF0]
    cmp eax, 1000
    jae .after
    FAILV 0x35, "status before the match", eax
.after:
    mov dword [HPET + 0x20], 4          ; write 1 to clear
    mov eax, [HPET + 0x20]
    and eax, 4
    CHECK eax, 0, 0x36, "Tn_INT_STS cleared"
    mov dword [HPET + 0x10], 0
    mov dword [HPET + 0x140], 0
    PASS
