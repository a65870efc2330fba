; fploop.asm -- floating-point benchmark guest ROM (SSE2 double precision).
; Boots from the reset vector, switches to flat 32-bit protected mode, enables
; SSE (CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR | OSXMMEXCPT, MXCSR at its reset value:
; round to nearest, all exceptions masked) and runs N iterations of one phase:
;
;   scalar (default): per iteration K = 256 steps of x += h (h = 1/256, x from 0):
;       sum1 += sqrt(1 + x*x) / (1 + x)          ADDSD MULSD ADDSD SQRTSD ADDSD DIVSD ADDSD
;       sum2 += p(x), p of degree 6 by Horner     6 MULSD + 6 ADDSD + ADDSD
;     = 20 flops per step, 5120 flops per iteration.
;   packed (-DPACKED): per iteration
;       Y[j] = Y[j] * 0.75 + X[j], acc += Y[j] over 256 doubles (128 pairs):
;         MULPD ADDPD ADDPD per pair = 6 flops per pair, 768 flops;
;       C = A * B + D for 8x8 doubles (A row-stochastic, so B stays bounded), then B = C:
;         per row i and column k of A one broadcast and 4 MULPD + 4 ADDPD = 16 flops,
;         8 * 8 * 16 = 1024 flops;
;     = 1792 flops per iteration.
; A flop is one double-precision add, multiply, divide or square root (a packed instruction
; on two doubles counts 2).  The one-time array set-up is not counted.
;
; Prints "fploop-<phase>: checksum 0x........ iterations 0x........ flops 0x........"
; (flops = N * flops per iteration, the count the benchmark script divides by) to port 0xE9
; and exits through port 0xF4 with 0x10 (PASS).  The checksum folds the bits of the final
; sums (and, packed, of two matrix entries): SSE2 arithmetic is IEEE-exact, so it is the same
; on every correct emulator.  With the default N it is compared with the value QEMU TCG
; produced (EXPECT) and a mismatch exits with FAIL (0x11); with another N, define EXPECT too
; or no check is made.
;
;
; Reference checksums (QEMU 7.2 TCG, identical under softvisor): scalar N=2000 -> 0xBD10FF8F,
; N=60000 -> 0xBE821ECC; packed N=2000 -> 0xD2DBE10F, N=250000 -> 0x5624A4E8.
; Build: nasm -f bin -I tests/guest/ [-DPACKED] [-DN=...] [-DEXPECT=0x...] -o out.bin fploop.asm
%ifdef PACKED
%define TESTNAME "fploop-packed"
%define FLOPS_PER_ITER 1792
%ifndef N
%define N 250000                ; 4.5e8 flops, ~5.8e8 instructions
%ifndef EXPECT
%define EXPECT 0x5624A4E8       ; checksum QEMU 7.2 TCG produced for N=250000
%endif
%endif
%else
%define TESTNAME "fploop-scalar"
%define FLOPS_PER_ITER 5120
%ifndef N
%define N 60000                 ; 3.1e8 flops, ~3.8e8 instructions
%ifndef EXPECT
%define EXPECT 0xBE821ECC       ; checksum QEMU 7.2 TCG produced for N=60000
%endif
%endif
%endif
%include "lib/common.inc"

%if N * FLOPS_PER_ITER >= 0x100000000
%error "N * FLOPS_PER_ITER must fit in 32 bits"
%endif

K       equ 256                 ; scalar steps per iteration
ITER    equ VARS + 0x40
RES     equ VARS + 0x50         ; 4 doubles of results folded into the checksum
ARR_X   equ 0x100000            ; packed: 256 doubles
ARR_Y   equ 0x100800            ; packed: 256 doubles
MAT_A   equ 0x101000            ; packed: 8x8 doubles, row-major
MAT_B   equ 0x101200
MAT_C   equ 0x101400
MAT_D   equ 0x101600

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    mov eax, cr0
    and eax, ~(1 << 2)          ; EM = 0
    or eax, 1 << 1              ; MP = 1
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10) ; OSFXSR, OSXMMEXCPT
    mov cr4, eax
    mov dword [ITER], 0
%ifdef PACKED
    call packed_init
.outer:
    call axpy
    call matmul
%else
    xorpd xmm5, xmm5            ; sum1
    xorpd xmm4, xmm4            ; sum2
    movsd xmm7, [c_h]
    movsd xmm6, [c_one]
.outer:
    call integrate
%endif
    inc dword [ITER]
    cmp dword [ITER], N
    jb .outer

%ifdef PACKED
    movupd [RES], xmm6          ; acc, both lanes
    movsd xmm0, [MAT_B]
    movsd [RES + 16], xmm0      ; B[0][0]
    movsd xmm0, [MAT_B + 63 * 8]
    movsd [RES + 24], xmm0      ; B[7][7]
%else
    movsd [RES], xmm5
    movsd [RES + 8], xmm4
    movsd [RES + 16], xmm5
    movsd [RES + 24], xmm4
%endif
    ; checksum = fold of the 8 dwords of RES: c = rol(c, 5) ^ dword
    xor eax, eax
    xor ecx, ecx
.fold:
    rol eax, 5
    xor eax, [RES + ecx * 4]
    inc ecx
    cmp ecx, 8
    jb .fold
    mov [RES + 32], eax

    PRINT TESTNAME, ": checksum 0x"
    call puthex_32
    PRINT " iterations 0x"
    mov eax, N
    call puthex_32
    PRINT " flops 0x"
    mov eax, N * FLOPS_PER_ITER
    call puthex_32
    PRINT 10
%if EXPECT != 0
    CHECK dword [RES + 32], EXPECT, 0x11, "checksum differs from the QEMU reference"
%endif
    PASS

%ifndef PACKED
; K steps from x = 0: xmm5 += sqrt(1 + x*x) / (1 + x), xmm4 += p(x); xmm7 = h, xmm6 = 1.0
integrate:
    xorpd xmm0, xmm0
    mov ecx, K
.step:
    addsd xmm0, xmm7            ; x += h
    movapd xmm1, xmm0
    mulsd xmm1, xmm0            ; x*x
    addsd xmm1, xmm6            ; 1 + x*x
    sqrtsd xmm1, xmm1
    movapd xmm2, xmm0
    addsd xmm2, xmm6            ; 1 + x
    divsd xmm1, xmm2
    addsd xmm5, xmm1
    movsd xmm3, [c_p + 6 * 8]   ; Horner, highest coefficient first
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 5 * 8]
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 4 * 8]
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 3 * 8]
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 2 * 8]
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 1 * 8]
    mulsd xmm3, xmm0
    addsd xmm3, [c_p + 0 * 8]
    addsd xmm4, xmm3
    dec ecx
    jnz .step
    ret
%else
; X[j] = (j + 1) / 256, Y[j] = 0; A[i][k] = (1 + ((i + k) & 7)) / 36 (rows sum to 1);
; B[i][k] = (8i + k) / 64; D[i][k] = (k + 1) / 4096; xmm6 (acc) = 0, xmm7 = (0.75, 0.75)
packed_init:
    xor ecx, ecx
.xy:
    lea eax, [ecx + 1]
    cvtsi2sd xmm0, eax
    mulsd xmm0, [c_inv256]
    movsd [ARR_X + ecx * 8], xmm0
    xorpd xmm0, xmm0
    movsd [ARR_Y + ecx * 8], xmm0
    inc ecx
    cmp ecx, 256
    jb .xy
    xor ecx, ecx                ; ecx = 8i + k
.mat:
    mov eax, ecx
    shr eax, 3
    add eax, ecx
    and eax, 7
    inc eax
    cvtsi2sd xmm0, eax
    divsd xmm0, [c_36]
    movsd [MAT_A + ecx * 8], xmm0
    cvtsi2sd xmm0, ecx
    mulsd xmm0, [c_inv64]
    movsd [MAT_B + ecx * 8], xmm0
    mov eax, ecx
    and eax, 7
    inc eax
    cvtsi2sd xmm0, eax
    mulsd xmm0, [c_inv4096]
    movsd [MAT_D + ecx * 8], xmm0
    inc ecx
    cmp ecx, 64
    jb .mat
    xorpd xmm6, xmm6
    movapd xmm7, [c_075]
    ret

; Y = Y * 0.75 + X, acc += Y (two pairs per loop)
axpy:
    xor ecx, ecx
.pair:
    movapd xmm0, [ARR_Y + ecx]
    movapd xmm1, [ARR_Y + ecx + 16]
    mulpd xmm0, xmm7
    mulpd xmm1, xmm7
    addpd xmm0, [ARR_X + ecx]
    addpd xmm1, [ARR_X + ecx + 16]
    movapd [ARR_Y + ecx], xmm0
    movapd [ARR_Y + ecx + 16], xmm1
    addpd xmm6, xmm0
    addpd xmm6, xmm1
    add ecx, 32
    cmp ecx, 256 * 8
    jb .pair
    ret

; C = A * B + D, then B = C.  esi = row i offset (64 bytes a row), edi = k.
matmul:
    xor esi, esi
.row:
    movapd xmm0, [MAT_D + esi]
    movapd xmm1, [MAT_D + esi + 16]
    movapd xmm2, [MAT_D + esi + 32]
    movapd xmm3, [MAT_D + esi + 48]
    xor edi, edi
.k:
    movsd xmm4, [MAT_A + esi + edi * 8]
    unpcklpd xmm4, xmm4         ; (A[i][k], A[i][k])
    mov eax, edi
    shl eax, 6
    movapd xmm5, [MAT_B + eax]
    mulpd xmm5, xmm4
    addpd xmm0, xmm5
    movapd xmm5, [MAT_B + eax + 16]
    mulpd xmm5, xmm4
    addpd xmm1, xmm5
    movapd xmm5, [MAT_B + eax + 32]
    mulpd xmm5, xmm4
    addpd xmm2, xmm5
    movapd xmm5, [MAT_B + eax + 48]
    mulpd xmm5, xmm4
    addpd xmm3, xmm5
    inc edi
    cmp edi, 8
    jb .k
    movapd [MAT_C + esi], xmm0
    movapd [MAT_C + esi + 16], xmm1
    movapd [MAT_C + esi + 32], xmm2
    movapd [MAT_C + esi + 48], xmm3
    add esi, 64
    cmp esi, 512
    jb .row
    xor ecx, ecx
.copy:
    movapd xmm0, [MAT_C + ecx]
    movapd [MAT_B + ecx], xmm0
    add ecx, 16
    cmp ecx, 512
    jb .copy
    ret
%endif

[section .strs]
align 16
c_075:      dq 0.75, 0.75
c_h:        dq 0.00390625       ; 1/256
c_one:      dq 1.0
c_inv256:   dq 0.00390625
c_inv64:    dq 0.015625
c_inv4096:  dq 0.000244140625
c_36:       dq 36.0
c_p:        dq 1.0, -0.5, 0.333333333333333333, -0.25, 0.2, -0.166666666666666667, 0.142857142857142857
__SECT__
