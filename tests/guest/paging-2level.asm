; paging-2level.asm -- 32-bit (2-level) paging with CR4.PSE 4 MiB pages.
; Checks #PF error code / CR2 / saved EIP for: not-present read and write,
; ring-0 write to a read-only page with CR0.WP=1 (and no fault with WP=0),
; ring-3 read/write of a supervisor page, ring-3 write to a read-only page,
; reserved bit (bit 21) in a 4 MiB PDE (RSVD bit in the error code);
; Accessed/Dirty bits in PTE, PDE and 4 MiB PDE; contents through a 4 MiB
; page; INVLPG and CR3 reload after changing a PTE.
; Follows Intel SDM vol. 3A ch. 4.3 (32-bit paging), 4.7 (page-fault
; exceptions), 4.8 (accessed and dirty flags), 4.10.4 (TLB invalidation).
%define TESTNAME "paging-2level"
%include "lib/common.inc"
%include "lib/pf.inc"

PAGING_PAE  equ 0
PTESZ       equ 4
PD          equ 0x20000
PT0         equ 0x21000
PT1         equ 0x22000
PDE_PT1     equ PD + 1*4
PDE_LP      equ PD + 2*4
PDE_RS      equ PD + 3*4
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
    ; clear the tables
    mov edi, PD
    mov ecx, 3 * 4096 / 4
    xor eax, eax
    rep stosd
    ; PT0: identity map of 0..4 MiB with 4 KiB user pages
    mov edi, PT0
    mov eax, 0x7
    mov ecx, 1024
.l: mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .l
    mov dword [PD + 0*4], PT0 | 0x7
    mov dword [PD + 1*4], PT1 | 0x7
    mov dword [PDE_LP], LP_PHYS | 0x87          ; 4 MiB page, P RW U PS
    mov dword [PDE_RS], 0x1400000 | (1 << 21) | 0x83 ; reserved bit 21
    mov eax, PD
    mov cr3, eax
    mov eax, cr4
    or eax, 1 << 4                              ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp pg_body32
