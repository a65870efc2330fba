; pit.asm -- the 8254 PIT and port 0x61 as Linux's TSC calibration uses them (Intel 8254
; datasheet; arch/x86/kernel/tsc.c pit_calibrate_tsc and quick_pit_calibrate):
;
;   1. port 0x61: bits 0-1 (gate 2, speaker data) read back as written; bit 4 (refresh request)
;      toggles while polled.
;   2. counter 2, mode 0, LSB then MSB, count 0xFFFF, gate on: the read-back status shows OUT
;      low, RW = 11, mode 0, binary (NULL COUNT, which QEMU does not model, is masked); two
;      latched counts decrease; the unlatched LSB/MSB pair reads like the latched one.
;   3. polling port 0x61 bit 5: OUT2 rises at the terminal count; the status then shows OUT high,
;      and CE wraps past 0 and keeps counting while OUT stays high.
; Passes under QEMU and softvisor.  (QEMU ignores a low gate in every mode but 1 and 5, so the
; datasheet's gate behaviour is checked by tests/unit/test_i8254.c only.)
%define TESTNAME "pit"
%include "lib/common.inc"

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32

; LATCH2 -> AX: counter latch command for counter 2, then LSB and MSB
latch2:
    mov al, 0x80
    out 0x43, al
    in al, 0x42
    mov ah, al
    in al, 0x42
    xchg al, ah
    ret

; STATUS2 -> AL: read-back command, status of counter 2 only
status2:
    mov al, 0xE8
    out 0x43, al
    in al, 0x42
    ret

main32:
    ; --- 1: port 0x61
    in al, 0x61
    and al, 0xFC
    or al, 0x01                 ; gate 2 on, speaker data off (as Linux)
    out 0x61, al
    in al, 0x61
    and al, 0x03
    CHECK al, 0x01, 0x11, "port 0x61 bits 0-1"
    in al, 0x61
    and al, 0x10
    mov bl, al
    mov ecx, 1000000
.refresh:
    in al, 0x61
    and al, 0x10
    cmp al, bl
    jne .toggled
    dec ecx
    jnz .refresh
    FAIL 0x12, "refresh bit (port 0x61 bit 4) never toggles"
.toggled:

    ; --- 2: counter 2, mode 0
    mov al, 0xB0                ; counter 2, LSB then MSB, mode 0, binary
    out 0x43, al
    mov al, 0xFF
    out 0x42, al
    out 0x42, al
    call latch2                 ; let the count reach CE
    call status2
    and al, 0xBF
    CHECK al, 0x30, 0x13, "status after programming"
    call latch2
    mov bx, ax
    mov ecx, 100000
.spin:
    dec ecx
    jnz .spin
    call latch2
    cmp ax, bx
    jb .down
    FAILV 0x14, "latched count did not decrease", eax
.down:
    in al, 0x42                 ; unlatched: LSB then MSB of the running count
    mov dl, al
    in al, 0x42
    mov dh, al
    cmp dx, bx
    jb .down2
    FAILV 0x15, "unlatched count not below the first latch", edx
.down2:
    in al, 0x61
    test al, 0x20
    jz .low
    FAIL 0x16, "OUT2 high before the terminal count"
.low:

    ; --- 3: poll OUT2 (port 0x61 bit 5) until the terminal count
    mov ecx, 200000000
.poll:
    in al, 0x61
    test al, 0x20
    jnz .high
    dec ecx
    jnz .poll
    FAIL 0x17, "OUT2 never rose"
.high:
    call status2
    and al, 0xBF
    CHECK al, 0xB0, 0x18, "status after terminal count"
    call latch2                 ; CE wraps past 0 and keeps counting; OUT stays high
    mov bx, ax
    mov ecx, 100000
.spin2:
    dec ecx
    jnz .spin2
    call latch2
    cmp ax, bx
    jne .counting
    FAILV 0x19, "count stopped after terminal count", eax
.counting:
    call status2
    and al, 0x80
    CHECK al, 0x80, 0x1A, "OUT2 after terminal count"

    in al, 0x61
    and al, 0xFC
    out 0x61, al
    PASS
