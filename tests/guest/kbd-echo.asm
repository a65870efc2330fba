; kbd-echo.asm -- echoes keyboard bytes: polls the i8042 (status port 0x64 bit 0, data port
; 0x60) and writes each byte it reads to port 0xE9 as two hex digits and a blank; passes when
; it reads 0x9E (the set 1 break code of A: the controller translates the keyboard's set 2).
; Not a guest-suite test (it needs a key typed): tests/display/test_sdl.c types A into the SDL
; window.  Specs: IBM PS/2 hardware reference (8042 status and data ports, scan code sets).
%define TESTNAME "kbd-echo"
%include "lib/common.inc"

section .rm
bits 16
main_rm:
    PRINT "kbd-echo: ready", 10
.poll:
    in al, 0x64
    test al, 1
    jz .poll
    in al, 0x60
    mov bl, al
    shr al, 4
    call hexdigit
    mov al, bl
    and al, 0x0F
    call hexdigit
    mov al, ' '
    out 0xE9, al
    cmp bl, 0x9E
    jne .poll
    mov al, 10
    out 0xE9, al
    PASS

hexdigit:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '9' - 1
.out:
    out 0xE9, al
    ret

section .pm
bits 32
main32:                             ; not used
    PASS
