; paging-4level.asm -- IA-32e 4-level paging in 64-bit mode, with a 2 MiB
; page, a higher-half (sign-extended) mapping and EFER.NXE.
; Checks #PF error code / CR2 (full 64 bits) / saved RIP for: not-present
; read and write (also in the higher half), ring-0 write to a read-only page
; with CR0.WP=1 (and no fault with WP=0), ring-3 read/write of a supervisor
; page, ring-3 write to a read-only page, ring-3 write to a page that is
; read-only only at the PDE level, instruction fetch from an XD page, reserved
; bits (2 MiB PDE bits 20:13, PS in a PML4E); Accessed/Dirty bits in PTE,
; PDE, PML4E and a 2 MiB PDE; INVLPG and CR3 reload after a PTE change.
; Follows Intel SDM vol. 3A ch. 4.5 (4-level paging), 4.6 (access rights),
; 4.7 (page-fault exceptions), 4.8 (A/D flags), 4.10.4 (TLB invalidation).
%define TESTNAME "paging-4level"
%include "lib/common.inc"
%include "lib/pf.inc"

PML4        equ 0x20000
PDPT        equ 0x21000
PD0         equ 0x22000
PT0         equ 0x23000
PT1         equ 0x24000
PDPT_H      equ 0x25000
PD_H        equ 0x26000
PT_H        equ 0x27000
PT2         equ 0x28000             ; under a read-only PDE
PDE_PT1     equ PD0 + 2*8           ; linear 0x400000
PDE_LP      equ PD0 + 4*8           ; linear 0x800000
PDE_RS      equ PD0 + 6*8           ; linear 0xC00000
PDE_PT2     equ PD0 + 7*8           ; linear 0xE00000
LP_LIN      equ 0x800000
LP_PHYS     equ 0x1000000
RS_LIN      equ 0xC00000
RO2_LIN     equ 0xE00000
HI_LIN      equ 0xFFFF800000000000  ; PML4 index 256
PS4_LIN     equ 0x0000008000000000  ; PML4 index 1 (PS set: reserved)
TP_BASE     equ 0x400000
%define TP(i)  (TP_BASE + (i) * 0x1000)
%define FR(i)  (0x100000 + (i) * 0x1000)
%define PTE(i) (PT1 + (i) * 8)
LP_OFF      equ 0x123454

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    mov dword [FR(6)], 0xAAAA6666
    mov dword [FR(7)], 0xBBBB7777
    mov dword [FR(8)], 0x8888AAAA
    mov byte [FR(3)], 0xC3                  ; ret
    mov dword [LP_PHYS + LP_OFF], 0x1A56E00D
    mov edi, PML4
    mov ecx, 9 * 4096 / 4
    xor eax, eax
    rep stosd
    mov edi, PT0
    mov eax, 0x7
    mov ecx, 512
.l: mov [edi], eax
    add eax, 0x1000
    add edi, 8
    loop .l
    mov dword [PML4], PDPT | 0x7
    mov dword [PDPT], PD0 | 0x7
    mov dword [PD0], PT0 | 0x7
    mov dword [PDE_PT1], PT1 | 0x7
    mov dword [PDE_LP], LP_PHYS | 0x87
    mov dword [PDE_RS], 0x1400000 | (1 << 13) | 0x83
    mov dword [PDE_PT2], PT2 | 0x5          ; user, read-only at PDE level
    mov dword [PT2], FR(9) | 0x7            ; PTE itself writable
    mov dword [PML4 + 256*8], PDPT_H | 0x7
    mov dword [PDPT_H], PD_H | 0x7
    mov dword [PD_H], PT_H | 0x7
    mov dword [PT_H + 1*8], FR(8) | 0x3
    mov dword [PML4 + 1*8], PDPT_H | 0x87   ; PS in a PML4E: reserved
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 8) | (1 << 11)            ; LME, NXE
    wrmsr
    mov eax, cr0
    or eax, 0x80010000                      ; PG, WP
    mov cr0, eax
    jmp SEL_CODE64:lm

bits 64
; SETPTE i, value (64-bit)
%macro SETPTE 2
    mov rax, %2
    mov [PTE(%1)], rax
%endmacro

lm:
    mov ax, SEL_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, STACK0_TOP
    call idt64_init
    lidt [idtr64]
    IDT64_SET 14, pf_handler64, 0x8E
    IDT64_SET 0x80, int80_64, 0xEE
    call tss64_init

    SETPTE 0, 0
    SETPTE 1, FR(1) | 0x5
    SETPTE 2, FR(2) | 0x3
    SETPTE 3, FR(3) | 0x7 | (1 << 63)
    SETPTE 4, FR(6) | 0x7
    SETPTE 5, FR(5) | 0x7
    mov rax, cr3
    mov cr3, rax

    ; ---------------------------------------------------- not present
    PF_EXPECT 0x0, TP(0) + 0x10, .np1, .np1_r, "not-present read"
.np1: mov eax, [TP(0) + 0x10]
.np1_r:
    PF_GOT 0x11
    PF_EXPECT 0x2, TP(0) + 0xFF8, .np2, .np2_r, "not-present write"
.np2: mov qword [TP(0) + 0xFF8], 1
.np2_r:
    PF_GOT 0x12
    ; higher half: present page, and a not-present one (CR2 is 64-bit)
    mov rbx, HI_LIN + 0x1000
    mov eax, [rbx]
    CHECK eax, 0x8888AAAA, 0x13, "higher-half read"
    mov rbx, HI_LIN + 0x10
    PF_EXPECT 0x0, HI_LIN + 0x10, .np3, .np3_r, "higher-half not-present"
.np3: mov eax, [rbx]
.np3_r:
    PF_GOT 0x14

    ; ---------------------------------------------------- CR0.WP
    PF_EXPECT 0x3, TP(1) + 8, .wp1, .wp1_r, "ring-0 write to read-only page, WP=1"
.wp1: mov dword [TP(1) + 8], 0x12345678
.wp1_r:
    PF_GOT 0x15
    CHECK dword [FR(1) + 8], 0, 0x16, "WP=1 write reached memory"
    mov rax, cr0
    and eax, ~(1 << 16)
    mov cr0, rax
    PF_EXPECT 0x3, 0, 0, 0, "ring-0 write to read-only page, WP=0"
    mov dword [TP(1) + 8], 0x12345678
    PF_NONE 0x17
    CHECK dword [FR(1) + 8], 0x12345678, 0x18, "WP=0 write lost"
    mov rax, cr0
    or eax, 1 << 16
    mov cr0, rax

    ; ---------------------------------------------------- user / supervisor
    PF_EXPECT 0x5, TP(2) + 4, u_rd_sup, 0, "ring-3 read of supervisor page"
    mov rax, u_rd_sup
    call call_ring3_64
    PF_GOT 0x19
    PF_EXPECT 0x7, TP(1) + 0x20, u_wr_ro, 0, "ring-3 write to read-only page"
    mov rax, u_wr_ro
    call call_ring3_64
    PF_GOT 0x1A
    PF_EXPECT 0x7, TP(2) + 0x30, u_wr_sup, 0, "ring-3 write to supervisor page"
    mov rax, u_wr_sup
    call call_ring3_64
    PF_GOT 0x1B
    PF_EXPECT 0x7, RO2_LIN + 0x40, u_wr_ro2, 0, "ring-3 write, PDE read-only"
    mov rax, u_wr_ro2
    call call_ring3_64
    PF_GOT 0x1C
    PF_EXPECT 0, 0, 0, 0, "ring-3 read of user page"
    mov dword [v_scratch], 0
    mov rax, u_rd_ok
    call call_ring3_64
    PF_NONE 0x1D
    CHECK dword [v_scratch], 0x12345678, 0x1E, "ring-3 read value"

    ; ---------------------------------------------------- NX
    PF_EXPECT 0x11, TP(3), TP(3), .nx_r, "execute NX page"
    mov rax, TP(3)
    call rax
    FAIL 0x1F, "executed NX page"
.nx_r:
    add rsp, 8
    PF_GOT 0x20
    SETPTE 3, FR(3) | 0x7
    invlpg [TP(3)]
    PF_EXPECT 0, 0, 0, 0, "execute after NX cleared"
    mov rax, TP(3)
    call rax
    PF_NONE 0x21

    ; ---------------------------------------------------- reserved bits
    ; SDM: P=1 with RSVD. QEMU 7.2 TCG reports P clear; accept both.
    PF_EXPECT 0x9, RS_LIN + 0x44, .rs1, .rs1_r, "reserved bit in 2 MiB PDE"
    mov dword [pf_err_alt], 0x8
.rs1: mov eax, [RS_LIN + 0x44]
.rs1_r:
    PF_GOT 0x22
    mov rbx, PS4_LIN + 0x88
    PF_EXPECT 0xB, PS4_LIN + 0x88, .rs2, .rs2_r, "PS bit in PML4E"
    mov dword [pf_err_alt], 0xA
.rs2: mov dword [rbx], 0
.rs2_r:
    PF_GOT 0x23

    ; ---------------------------------------------------- accessed / dirty
    and qword [PDE_PT1], ~0x60
    and qword [PDE_LP], ~0x60
    and qword [PML4], ~0x60
    mov rax, cr3
    mov cr3, rax
    mov eax, [TP(5)]
    mov rax, [PTE(5)]
    and eax, 0x60
    CHECK eax, 0x20, 0x24, "PTE A/D after read (want A only)"
    mov rax, [PDE_PT1]
    test eax, 0x20
    jnz .pdea
    FAILV 0x25, "PDE accessed bit not set", rax
.pdea:
    mov rax, [PML4]
    test eax, 0x20
    jnz .pml4a
    FAILV 0x26, "PML4E accessed bit not set", rax
.pml4a:
    mov dword [TP(5) + 0x100], 0xD1D1D1D1
    mov rax, [PTE(5)]
    and eax, 0x60
    CHECK eax, 0x60, 0x27, "PTE A/D after write (want A and D)"
    CHECK dword [FR(5) + 0x100], 0xD1D1D1D1, 0x28, "write through PTE lost"
    mov eax, [LP_LIN + LP_OFF]
    CHECK eax, 0x1A56E00D, 0x29, "large page read"
    mov rax, [PDE_LP]
    and eax, 0x60
    CHECK eax, 0x20, 0x2A, "2 MiB PDE A/D after read"
    mov dword [LP_LIN + LP_OFF + 4], 0x0DD0
    mov rax, [PDE_LP]
    and eax, 0x60
    CHECK eax, 0x60, 0x2B, "2 MiB PDE A/D after write"

    ; ---------------------------------------------------- INVLPG
    mov eax, [TP(4)]
    CHECK eax, 0xAAAA6666, 0x2C, "remap: first frame"
    SETPTE 4, FR(7) | 0x7
    invlpg [TP(4)]
    mov eax, [TP(4)]
    CHECK eax, 0xBBBB7777, 0x2D, "INVLPG: still old translation"
    SETPTE 4, 0
    invlpg [TP(4)]
    PF_EXPECT 0x0, TP(4), .inv, .inv_r, "INVLPG to not-present"
.inv: mov eax, [TP(4)]
.inv_r:
    PF_GOT 0x2E
    SETPTE 4, FR(6) | 0x7
    mov rax, cr3
    mov cr3, rax
    mov eax, [TP(4)]
    CHECK eax, 0xAAAA6666, 0x2F, "CR3 reload: stale translation"
    PASS

; ---- ring-3 code
u_rd_sup:
    mov eax, [TP(2) + 4]
    jmp $
u_wr_ro:
    mov dword [TP(1) + 0x20], 1
    jmp $
u_wr_sup:
    mov dword [TP(2) + 0x30], 1
    jmp $
u_wr_ro2:
    mov dword [RO2_LIN + 0x40], 1
    jmp $
u_rd_ok:
    mov eax, [TP(1) + 8]
    int 0x80

int80_64:
    mov [v_scratch], eax
    jmp ring0_resume64
