; fpu-mf.asm -- unmasked x87 exception with CR0.NE = 1 (SDM vol. 1, 8.7;
; vol. 3, 6.15 "Interrupt 16"): FDIV by zero with ZM clear sets ZE and ES and
; raises nothing itself; the next waiting instruction (FWAIT) raises #MF with
; the saved EIP at the FWAIT. FNSTSW then shows ZE|ES|B; after FNCLEX FWAIT
; runs. A masked division by zero gives +inf and no fault.
%define TESTNAME "fpu-mf"
%include "lib/common.inc"
%include "lib/trap.inc"

CR0_MP equ 1 << 1
CR0_EM equ 1 << 2
CR0_TS equ 1 << 3
CR0_NE equ 1 << 5

mf_eip equ VARS + 0x50

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
; #MF handler that also records the saved EIP
mf_handler:
    push eax
    mov eax, [esp + 4]
    mov [mf_eip], eax
    pop eax
    jmp trap_mf

main32:
    TRAP_INSTALL
    IDT32_SET 16, mf_handler, 0x8E
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP | CR0_NE
    mov cr0, eax
    fninit
    ; masked: 1/0 = +inf, ZE set, no fault
    fld1
    fldz
    fdivp st1, st0
    fwait
    fnstsw ax
    test ax, 4
    jnz .ze1
    FAILV 0x11, "masked fdiv: ZE clear, fsw", eax
.ze1:
    fstp dword [v_scratch]
    CHECK dword [v_scratch], 0x7F800000, 0x12, "masked 1/0"
    fnclex
    ; unmasked ZM
    mov word [v_scratch], 0x037B
    fldcw [v_scratch]
    fld1
    fldz
    mov dword [got_vec], 0xff
    mov dword [resume], .after
    fdivp st1, st0
    CHECK dword [got_vec], 0xff, 0x13, "fdiv itself faulted"
.wait:
    fwait
.after:
    CHECK dword [got_vec], 16, 0x14, "fwait: no #MF"
    CHECK dword [mf_eip], .wait, 0x15, "#MF saved eip"
    fnstsw ax
    and eax, 0x8085
    CHECK eax, 0x8084, 0x16, "fsw after #MF"
    fnclex
    mov dword [got_vec], 0xff
    mov dword [resume], .ok
    fwait
.ok:
    CHECK dword [got_vec], 0xff, 0x17, "fwait after fnclex faulted"
    fninit
    PASS
