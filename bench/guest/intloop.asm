; intloop.asm -- integer-heavy benchmark guest ROM.
; Boots from the reset vector, switches to flat 32-bit protected mode and runs
; N iterations of a deterministic mix: xorshift PRNG (shifts/xor), an ALU
; block (add/sub/adc/imul/mul/div/rol/ror/sar/neg/not/lea/bswap), an insertion
; sort of 16 dwords, an FNV-1a style hash over a 256-byte window of a 4 KiB
; buffer that is itself rewritten each iteration, and calls/returns between
; them. Prints "intloop: checksum 0x........ iterations N" to port 0xE9 and
; exits through port 0xF4 with 0x10 (PASS). With the default N the checksum is
; compared with the value QEMU TCG produced (EXPECT) and a mismatch exits
; with FAIL (0x11); with another N, define EXPECT too or no check is made.
;
; Build: nasm -f bin -I tests/guest/ [-DN=...] [-DEXPECT=0x...] -o intloop.bin bench/guest/intloop.asm
; About 3320 instructions per iteration (counted from a QEMU exec trace), so
; the default N = 1500000 executes ~5.0e9 instructions.
; Reference checksums (QEMU 7.2 TCG): N=1000000 ->
; 0x44998BC3, N=1500000 -> 0x49FC8F84, N=2000000 -> 0x0984C5D4.
%define TESTNAME "intloop"
%include "lib/common.inc"

%ifndef N
%define N 1500000               ; ~5.0e9 instructions; QEMU 7.2 TCG: ~3 s here
%ifndef EXPECT
%define EXPECT 0x49FC8F84       ; checksum QEMU TCG produced for N=1500000
%endif
%endif

BUF     equ 0x100000            ; 4 KiB data buffer
ARR     equ 0x101000            ; 16 dwords to sort
CSUM    equ VARS + 0x40
SEED    equ VARS + 0x44
ITER    equ VARS + 0x48

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    mov dword [SEED], 0x2545F491
    mov dword [CSUM], 0x811C9DC5
    ; fill the buffer from the PRNG
    mov edi, BUF
    mov ecx, 1024
.fill:
    call prng
    stosd
    loop .fill

    mov dword [ITER], 0
.outer:
    call sort16
    call hash_window
    call alu_mix
    ; feed the checksum back into the buffer
    mov eax, [ITER]
    imul eax, eax, 4 * 37
    and eax, 0xFFC
    mov edx, [CSUM]
    xor [BUF + eax], edx
    inc dword [ITER]
    cmp dword [ITER], N
    jb .outer

    PRINT "intloop: checksum 0x"
    mov eax, [CSUM]
    call puthex_32
    PRINT " iterations 0x"
    mov eax, N
    call puthex_32
    PRINT 10
%ifdef EXPECT
%if EXPECT != 0
    CHECK dword [CSUM], EXPECT, 0x11, "checksum differs from the QEMU reference"
%endif
%endif
    PASS

; xorshift32 on [SEED] -> EAX
prng:
    mov eax, [SEED]
    mov edx, eax
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    mov [SEED], eax
    ret

; fill ARR with 16 PRNG values mixed with buffer data, insertion-sort them
; (signed), fold sum(arr[i] * (i+1)) into CSUM
sort16:
    push ebx
    push esi
    push edi
    mov eax, [ITER]
    shl eax, 6
    and eax, 0xFC0
    lea esi, [BUF + eax]
    xor ecx, ecx
.f: call prng
    xor eax, [esi + ecx*4]
    mov [ARR + ecx*4], eax
    inc ecx
    cmp ecx, 16
    jb .f
    ; insertion sort
    mov ecx, 1
.outer:
    mov eax, [ARR + ecx*4]
    mov edi, ecx
.inner:
    test edi, edi
    jz .place
    mov edx, [ARR + edi*4 - 4]
    cmp edx, eax
    jle .place
    mov [ARR + edi*4], edx
    dec edi
    jmp .inner
.place:
    mov [ARR + edi*4], eax
    inc ecx
    cmp ecx, 16
    jb .outer
    ; verify order and fold
    xor ebx, ebx
    xor ecx, ecx
.fold:
    mov eax, [ARR + ecx*4]
    lea edx, [ecx + 1]
    imul eax, edx
    add ebx, eax
    inc ecx
    cmp ecx, 16
    jb .fold
    mov eax, [CSUM]
    rol eax, 7
    xor eax, ebx
    mov [CSUM], eax
    pop edi
    pop esi
    pop ebx
    ret

; FNV-1a over 256 bytes at BUF + ((ITER * 256) & 0xF00)
hash_window:
    push esi
    mov esi, [ITER]
    shl esi, 8
    and esi, 0xF00
    add esi, BUF
    mov eax, [CSUM]
    mov ecx, 256
.h: movzx edx, byte [esi]
    xor eax, edx
    imul eax, eax, 0x01000193
    inc esi
    dec ecx
    jnz .h
    mov [CSUM], eax
    pop esi
    ret

; 32 rounds of mixed ALU work on EAX/EBX/EDX, folded into CSUM
alu_mix:
    push ebx
    push esi
    push edi
    mov eax, [CSUM]
    mov ebx, [SEED]
    mov esi, [ITER]
    mov ecx, 32
.r: add eax, ebx
    adc esi, 0
    rol eax, 5
    xor ebx, eax
    imul ebx, ebx, 0x9E3779B1
    mov edi, eax
    sar edi, 3
    sub eax, edi
    mov edx, ebx
    ror edx, 11
    lea eax, [eax + edx*2 + 0x1234]
    not edx
    and edx, 0x00FF00FF
    or eax, edx
    neg ebx
    bswap eax
    mov edi, ecx
    shl edi, cl
    xor ebx, edi
    dec ecx
    jnz .r
    ; a multiply and a divide per call
    mov edi, ebx
    or edi, 1
    mul ebx                         ; edx:eax = eax * ebx
    and edx, 0x7FFFFFFF
    cmp edx, edi
    jb .d
    xor edx, edx
.d: div edi
    add eax, edx
    xor eax, esi
    xor [CSUM], eax
    pop edi
    pop esi
    pop ebx
    ret
