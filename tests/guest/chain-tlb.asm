; chain-tlb.asm -- jumps inside one code page after the jump cache was emptied (flat 32-bit
; protected mode, no paging; the loop runs from the ROM page LOOP, and calls a spin loop on the
; next page, SPIN).
; The interpreter's block_find looks a block up through the TLB whenever the jump cache misses,
; which refills the TLB entry of the code page; every store into a page that holds code empties
; the jump cache (block_invalidate_page), and a load from DATA, whose linear page is in LOOP's TLB
; set ((lin >> 12) & 1023), evicts LOOP's entry.  Before 83b9805 the JIT's patched jumps between
; blocks of a page and its internal back-edges skipped that lookup, so LOOP's TLB set (hashed
; machine state) held DATA under the JIT and LOOP under -jit off until the next lookup of a
; block of LOOP.  A run stopped by -icount-limit looks up the block it stops in (the run loop
; finishes it), which would refill LOOP's entry under both tiers; the spin loops on SPIN look up
; only blocks of SPIN, so a stop inside one sees the difference.  Each round:
;   - calls a function copied to the RAM page FN, so FN holds code; a store to [edi] and a load
;     from [esi], then a patched jump (B -> C); C calls spin_c;
;   - calls FN again; F's first pass stores to [edi] and loads from [esi], then points both into
;     SCRATCH and loops through its back-edge; F ends LOOP, so it falls through into SPIN (no
;     patch site) and calls spin_f.
; WARM rounds first with edi and esi in SCRATCH (a page without code, so the jump cache stays
; full: blocks get translated at the default threshold, 16, and the patch sites get linked),
; then ROUNDS with edi = FN + 0x800 and esi = DATA.  chain-tlb-test.sh compares the state hashes
; of both tiers at instruction counts inside the spin loops.  The guest itself only checks its
; arithmetic, so it also passes under QEMU.
%define TESTNAME "chain-tlb"
%include "lib/common.inc"

FN      equ 0x10000             ; RAM page holding the function
SCRATCH equ 0x20000             ; RAM page without code: loaded (3) and stored at + 0x200
V_STORE equ SCRATCH + 0x100     ; this phase's store address
V_LOAD  equ SCRATCH + 0x104     ; this phase's load address
LOOP_PG equ 0xF8000             ; the loop's code page (ROM)
SPIN_PG equ LOOP_PG + 0x1000    ; the spin loops' code page: spin_c at + 0x100, spin_f at + 0x200
DATA    equ LOOP_PG + 0x400000  ; LOOP + 1024 pages: LOOP's TLB set
WARM    equ 24
ROUNDS  equ 100
INNER   equ 8
SPINS   equ 100
F_BYTES equ 15                  ; the size of block F, which ends page LOOP
PM_BASE equ 0xF4000             ; where section .pm starts (lib/common.inc)

; pads with INT3 up to linear address %1 in section .pm
%macro PAD_TO 1
    times (%1) - PM_BASE - ($ - $$) db 0xCC
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    mov esi, fn_tmpl
    mov edi, FN
    mov ecx, fn_tmpl_end - fn_tmpl
    rep movsb
    mov dword [DATA], 2
    mov dword [SCRATCH], 3
    mov ebx, SCRATCH + 0x200
    xor edx, edx
    mov dword [V_STORE], SCRATCH + 0x200
    mov dword [V_LOAD], SCRATCH
    mov ebp, WARM
    call round
    CHECK edx, WARM * (2 + 3 + 2 + 3 * INNER), 0x11, "wrong sum after the warm-up"
    xor edx, edx
    mov dword [V_STORE], FN + 0x800
    mov dword [V_LOAD], DATA
    mov ebp, ROUNDS
    call round
    CHECK edx, ROUNDS * (2 + 2 + 2 + 2 + 3 * (INNER - 1)), 0x12, "wrong sum"
    PASS

fn_tmpl:
    inc edx
    ret
fn_tmpl_end:

    PAD_TO LOOP_PG
round:                          ; page LOOP; block A
    call FN
    mov edi, [V_STORE]          ; block B
    mov esi, [V_LOAD]
    mov [edi], eax              ; FN: its blocks freed, the jump cache emptied
    add edx, [esi]              ; DATA: LOOP's TLB entry evicted
    jmp .c                      ; a patched jump to another block of this page
.c: call spin_c                 ; block C
    call FN                     ; block D
    mov edi, [V_STORE]          ; block E
    mov esi, [V_LOAD]
    mov ecx, INNER
    jmp .f
    PAD_TO SPIN_PG - F_BYTES
.f: mov [edi], eax              ; block F: FN on its first pass (after the call above)
    add edx, [esi]              ; DATA on its first pass
    mov edi, ebx
    lea esi, [ebx - 0x200]
    dec ecx
    jnz .f                      ; the back-edge after that first pass
    times ($ - .f) - F_BYTES db 0   ; (negative, an error, unless F is F_BYTES long)
    times F_BYTES - ($ - .f) db 0
                                ; page SPIN
    call spin_f                 ; block F falls through to here
    dec ebp
    jnz round
    ret

; two copies, so that where a run stopped tells which case it is in
%macro SPINLOOP 0
    mov eax, SPINS
%%s: dec eax
    jnz %%s
    inc edx
    ret
%endmacro
    PAD_TO SPIN_PG + 0x100
spin_c:                         ; after the patched jump B -> C
    SPINLOOP
    PAD_TO SPIN_PG + 0x200
spin_f:                         ; after F's back-edge
    SPINLOOP
