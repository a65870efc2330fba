; paging-pae.asm -- PAE paging (CR4.PAE, 3-level, 64-bit entries) with a
; 2 MiB page and EFER.NXE.
; Checks #PF error code / CR2 / saved EIP for: not-present read and write,
; ring-0 write to a read-only page with CR0.WP=1 (and no fault with WP=0),
; ring-3 read/write of a supervisor page, ring-3 write to a read-only page,
; instruction fetch from an XD page (I/D bit), reserved bits 20:13 of a
; 2 MiB PDE (RSVD bit); Accessed/Dirty bits in PTE, PDE and 2 MiB PDE;
; contents through a 2 MiB page; INVLPG and CR3 reload after a PTE change.
; Follows Intel SDM vol. 3A ch. 4.4 (PAE paging), 4.6 (access rights,
; execute-disable), 4.7 (page-fault exceptions), 4.8 (A/D flags),
; 4.10.4 (TLB invalidation).
%define TESTNAME "paging-pae"
%include "lib/common.inc"
%include "lib/pf.inc"

PAGING_PAE  equ 1
PTESZ       equ 8
PDPT        equ 0x20000
PD0         equ 0x21000
PT0         equ 0x22000
PT1         equ 0x23000
PDE_PT1     equ PD0 + 2*8           ; linear 0x400000
PDE_LP      equ PD0 + 4*8           ; linear 0x800000
PDE_RS      equ PD0 + 6*8           ; linear 0xC00000
LP_LIN      equ 0x800000
LP_PHYS     equ 0x1000000
RS_LIN      equ 0xC00000

%include "lib/paging32.inc"

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    IDT32_SET 14, pf_handler32, 0x8E
    IDT32_SET 0x80, int80_pg, 0xEE
    call pg_prepare32
    mov edi, PDPT
    mov ecx, 4 * 4096 / 4
    xor eax, eax
    rep stosd
    ; PT0: identity map of 0..2 MiB with 4 KiB user pages
    mov edi, PT0
    mov eax, 0x7
    mov ecx, 512
.l: mov [edi], eax
    mov dword [edi + 4], 0
    add eax, 0x1000
    add edi, 8
    loop .l
    mov dword [PDPT], PD0 | 0x1                 ; PDPTEs: only P (RW/US reserved)
    mov dword [PD0 + 0*8], PT0 | 0x7
    mov dword [PDE_PT1], PT1 | 0x7
    mov dword [PDE_LP], LP_PHYS | 0x87          ; 2 MiB page, P RW U PS
    mov dword [PDE_RS], 0x1400000 | (1 << 13) | 0x83 ; bit 13 reserved
    mov eax, cr4
    or eax, 1 << 5                              ; PAE
    mov cr4, eax
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp pg_body32
