; vga-text.asm -- the VGA of QEMU's std VGA programmed through its registers, without a BIOS.
; Checks (real mode): PCI 00:02.0 is 1234:1111 class 0300; the CRTC protect bit (CR11 bit 7)
; freezes CR0-CR7 but not CR7's line compare bit 8; the attribute controller's index/data
; flip-flop (reset by reading 0x3DA) and 0x3C1 read-back; DAC write and read indexes
; auto-incrementing over R, G, B; planar memory: write mode 0 through the map mask, read mode 0
; per plane, read mode 1 colour compare, write mode 2 with the bit mask; the Bochs VBE ID.
; Then it sets 80x25 text mode register by register (mode 3's values), loads a solid-block glyph
; (0xDB) into plane 2, writes two lines of text, places the cursor, spins ~1M instructions and
; passes.  tests/display/vga-text-test.sh takes screenshots during the spin.
; Specs: IBM VGA Technical Reference (sequencer, CRTC, graphics, attribute, DAC registers);
; QEMU docs/specs/standard-vga.txt (PCI IDs); Bochs VBE (ID 0xB0C5).
%define TESTNAME "vga-text"
%include "lib/common.inc"

; OUTIDX port, index, value: write an indexed register through its index/data port pair
%macro OUTIDX 3
    mov dx, %1
    mov al, %2
    out dx, al
    inc dx
    mov al, %3
    out dx, al
%endmacro

; INIDX port, index -> AL
%macro INIDX 2
    mov dx, %1
    mov al, %2
    out dx, al
    inc dx
    in al, dx
%endmacro

section .rm
bits 16
main_rm:
    ; ---- PCI identity of 00:02.0
    mov eax, 0x80000000 | (2 << 11)
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    CHECK eax, 0x11111234, 0x11, "00:02.0 ID"
    mov eax, 0x80000000 | (2 << 11) | 0x08
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    shr eax, 8
    CHECK eax, 0x030000, 0x12, "00:02.0 class"

    ; ---- colour addressing (misc bit 0), then the CRTC protect bit
    mov dx, 0x3C2
    mov al, 0x67
    out dx, al
    mov dx, 0x3CC
    in al, dx
    CHECK al, 0x67, 0x13, "misc output read-back"
    OUTIDX 0x3D4, 0x11, 0x0E        ; unprotected
    OUTIDX 0x3D4, 0x01, 0x4F
    OUTIDX 0x3D4, 0x07, 0x00
    OUTIDX 0x3D4, 0x11, 0x8E        ; protect CR0-CR7
    OUTIDX 0x3D4, 0x01, 0x12
    INIDX 0x3D4, 0x01
    CHECK al, 0x4F, 0x14, "CR1 written while protected"
    OUTIDX 0x3D4, 0x07, 0xFF
    INIDX 0x3D4, 0x07
    CHECK al, 0x10, 0x15, "CR7 while protected: only the line compare bit"
    OUTIDX 0x3D4, 0x11, 0x0E

    ; ---- attribute flip-flop
    mov dx, 0x3DA
    in al, dx                       ; flip-flop -> index
    mov dx, 0x3C0
    mov al, 0x05
    out dx, al                      ; index 5 (PAS = 0)
    mov al, 0x2A
    out dx, al                      ; data
    mov al, 0x05
    out dx, al                      ; index again
    mov dx, 0x3C1
    in al, dx
    CHECK al, 0x2A, 0x16, "AR5 read-back"
    mov dx, 0x3C0
    mov al, 0x2A
    out dx, al                      ; data again: the flip-flop is back at index
    in al, dx
    CHECK al, 0x05, 0x17, "attribute index read"

    ; ---- DAC
    mov dx, 0x3C8
    mov al, 0x40
    out dx, al
    inc dx
    mov al, 0x11
    out dx, al
    mov al, 0x22
    out dx, al
    mov al, 0x33
    out dx, al
    mov al, 0x3F
    out dx, al                      ; entry 0x41 red
    xor al, al
    out dx, al
    out dx, al
    mov dx, 0x3C7
    mov al, 0x40
    out dx, al
    mov dx, 0x3C9
    in al, dx
    mov bl, al
    in al, dx
    mov bh, al
    in al, dx
    shl eax, 16
    mov ax, bx
    and eax, 0x00FFFFFF
    CHECK eax, 0x00332211, 0x18, "DAC entry 0x40"
    in al, dx
    CHECK al, 0x3F, 0x19, "DAC read index advanced to 0x41"

    ; ---- planar memory at A0000 (64 KiB window, sequential addressing)
    OUTIDX 0x3C4, 0x04, 0x06        ; SR4: odd/even off, no chain-4
    OUTIDX 0x3CE, 0x06, 0x05        ; GR6: graphics, A0000-AFFFF
    OUTIDX 0x3CE, 0x05, 0x00        ; write mode 0, read mode 0
    OUTIDX 0x3CE, 0x01, 0x00        ; no set/reset
    OUTIDX 0x3CE, 0x03, 0x00        ; no rotate, replace
    OUTIDX 0x3CE, 0x08, 0xFF        ; bit mask: all
    OUTIDX 0x3C4, 0x02, 0x05        ; planes 0 and 2
    mov ax, 0xA000
    mov es, ax
    mov byte [es:0x100], 0x5A
    OUTIDX 0x3C4, 0x02, 0x0A        ; planes 1 and 3
    mov byte [es:0x100], 0xC3
    OUTIDX 0x3CE, 0x04, 0x02        ; read plane 2
    mov al, [es:0x100]
    CHECK al, 0x5A, 0x1A, "plane 2"
    OUTIDX 0x3CE, 0x04, 0x03
    mov al, [es:0x100]
    CHECK al, 0xC3, 0x1B, "plane 3"
    ; read mode 1: colour 0101b (planes 0, 2 set) where the byte has 5A/C3/5A/C3
    OUTIDX 0x3CE, 0x02, 0x05        ; compare colour
    OUTIDX 0x3CE, 0x07, 0x0F        ; all planes count
    OUTIDX 0x3CE, 0x05, 0x08        ; read mode 1
    mov al, [es:0x100]
    ; bit set where plane0=1,plane1=0,plane2=1,plane3=0: 5A & ~C3 = 0x18
    CHECK al, 0x18, 0x1C, "read mode 1"
    ; write mode 2: colour 9 (planes 0, 3) through bit mask 0x0F, over the latches
    OUTIDX 0x3CE, 0x05, 0x02
    OUTIDX 0x3CE, 0x08, 0x0F
    OUTIDX 0x3C4, 0x02, 0x0F
    mov al, [es:0x100]              ; load the latches (write mode 2 keeps read mode 0)
    mov byte [es:0x100], 0x09
    OUTIDX 0x3CE, 0x05, 0x00
    OUTIDX 0x3CE, 0x04, 0x00
    mov al, [es:0x100]
    CHECK al, 0x5F, 0x1D, "write mode 2 plane 0"
    OUTIDX 0x3CE, 0x04, 0x01
    mov al, [es:0x100]
    CHECK al, 0xC0, 0x1E, "write mode 2 plane 1"
    OUTIDX 0x3CE, 0x08, 0xFF

    ; ---- Bochs VBE identity
    mov dx, 0x1CE
    xor ax, ax
    out dx, ax
    inc dx
    in ax, dx
    CHECK ax, 0xB0C5, 0x1F, "VBE ID"

    ; ---- font: a solid block for character 0xDB in map 0 (plane 2, 32 bytes a glyph)
    OUTIDX 0x3C4, 0x02, 0x04
    mov di, 0xDB * 32
    mov cx, 16
    mov al, 0xFF
    rep stosb
    xor di, di                      ; the other glyphs: blank
    OUTIDX 0x3C4, 0x02, 0x0F

    ; ---- 80x25 text mode (mode 3's register values)
    OUTIDX 0x3C4, 0x00, 0x01        ; synchronous reset
    OUTIDX 0x3C4, 0x01, 0x00        ; 9-dot characters
    OUTIDX 0x3C4, 0x02, 0x03        ; planes 0 and 1
    OUTIDX 0x3C4, 0x03, 0x00        ; font map 0
    OUTIDX 0x3C4, 0x04, 0x02        ; odd/even, no chain-4
    OUTIDX 0x3C4, 0x00, 0x03
    mov si, crtc_mode3
    xor bx, bx
.crtc:
    mov dx, 0x3D4
    mov al, bl
    out dx, al
    inc dx
    mov al, [cs:si + bx]
    out dx, al
    inc bx
    cmp bx, 0x19
    jb .crtc
    OUTIDX 0x3CE, 0x05, 0x10        ; odd/even reads
    OUTIDX 0x3CE, 0x06, 0x0E        ; text, B8000-BFFFF, chain odd/even
    OUTIDX 0x3CE, 0x04, 0x00
    mov dx, 0x3DA
    in al, dx
    mov dx, 0x3C0
    xor bx, bx
.attr:
    mov al, bl
    out dx, al
    mov al, bl                      ; palette 0-15 -> DAC 0-15
    cmp bl, 0x10
    jb .attr_val
    mov al, [cs:attr_ctl + bx - 0x10]
.attr_val:
    out dx, al
    inc bx
    cmp bx, 0x15
    jb .attr
    mov al, 0x20                    ; PAS: the display on
    out dx, al
    ; DAC 0-15: the CGA colours
    mov dx, 0x3C8
    xor al, al
    out dx, al
    inc dx
    mov si, dac16
    mov cx, 48
.dac:
    mov al, [cs:si]
    out dx, al
    inc si
    loop .dac

    ; ---- text
    mov ax, 0xB800
    mov es, ax
    xor di, di
    mov ax, 0x0720
    mov cx, 80 * 25
    rep stosw
    xor di, di
    mov si, msg1
    mov ah, 0x1F                    ; white on blue
.m1:
    mov al, [cs:si]
    test al, al
    jz .m1_end
    stosw
    inc si
    jmp .m1
.m1_end:
    mov di, 160 * 2                 ; row 2: ten yellow blocks
    mov ax, 0x0EDB
    mov cx, 10
    rep stosw
    mov di, 160 * 3
    mov si, msg2
    mov ah, 0x07
.m2:
    mov al, [cs:si]
    test al, al
    jz .m2_end
    stosw
    inc si
    jmp .m2
.m2_end:
    ; cursor at row 4, column 0
    OUTIDX 0x3D4, 0x0E, 0x01
    OUTIDX 0x3D4, 0x0F, 0x40        ; 320 = 4 * 80

    ; ---- spin ~1M instructions (screenshots are taken here), then pass
    mov ecx, 500000
.spin:
    dec ecx
    jnz .spin
    PASS

crtc_mode3:
    db 0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F
    db 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00
    db 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF
attr_ctl:
    db 0x0C, 0x00, 0x0F, 0x08, 0x00  ; AR10 (9th dot for line chars, blink), AR11-AR14
dac16:
    db  0, 0, 0,   0, 0,42,   0,42, 0,   0,42,42,  42, 0, 0,  42, 0,42,  42,21, 0,  42,42,42
    db 21,21,21,  21,21,63,  21,63,21,  21,63,63,  63,21,21,  63,21,63,  63,63,21,  63,63,63
msg1:
    db "SOFTVISOR VGA TEXT MODE", 0
msg2:
    db "registers set by hand, no BIOS", 0

section .pm
bits 32
main32:                             ; not used: everything above runs in real mode
    PASS
