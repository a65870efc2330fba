; fpu-nm.asm -- x87/SSE availability faults in 32-bit PM (SDM vol. 3, 2.5 and
; table 12-1 / 13.1; vol. 2 exception tables).
;  * CR0.TS = 1: FLD1 and ADDPS raise #NM, WAIT raises #NM when CR0.MP = 1;
;    after CLTS they run.
;  * CR4.OSFXSR = 0: ADDPS raises #UD (x87 still runs).
;  * CR0.EM = 1: FLD1 raises #NM, ADDPS raises #UD.
%define TESTNAME "fpu-nm"
%include "lib/common.inc"
%include "lib/trap.inc"

CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5
CR4_OSFXSR equ 1 << 9

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
main32:
    TRAP_INSTALL
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP | CR0_NE
    mov cr0, eax
    mov eax, cr4
    or eax, CR4_OSFXSR
    mov cr4, eax
    fninit
    xorps xmm0, xmm0
    xorps xmm1, xmm1

    mov eax, cr0
    or eax, CR0_TS
    mov cr0, eax
    TRAPS 7, NOERR, 0x11, "fld1 with TS", fld1
    TRAPS 7, NOERR, 0x12, "addps with TS", addps xmm0, xmm1
    TRAPS 7, NOERR, 0x13, "wait with MP+TS", fwait
    clts
    mov dword [got_vec], 0xff
    mov dword [resume], .ok1
    fld1
    addps xmm0, xmm1
    fwait
.ok1:
    CHECK dword [got_vec], 0xff, 0x14, "fault after clts"
    fstp st0

    mov eax, cr4
    and eax, ~CR4_OSFXSR
    mov cr4, eax
    TRAPS 6, NOERR, 0x15, "addps with OSFXSR=0", addps xmm0, xmm1
    mov dword [got_vec], 0xff
    mov dword [resume], .ok2
    fld1
    fstp st0
.ok2:
    CHECK dword [got_vec], 0xff, 0x16, "x87 fault with OSFXSR=0"
    mov eax, cr4
    or eax, CR4_OSFXSR
    mov cr4, eax

    mov eax, cr0
    or eax, CR0_EM
    mov cr0, eax
    TRAPS 7, NOERR, 0x17, "fld1 with EM", fld1
    TRAPS 6, NOERR, 0x18, "addps with EM", addps xmm0, xmm1
    mov eax, cr0
    and eax, ~CR0_EM
    mov cr0, eax
    PASS
