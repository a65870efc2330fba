; nmi-iret-fault.asm -- nmi.asm whose NMI handler leaves through an IRET that
; faults: NMIs are unblocked all the same (SDM vol. 3A 6.7.1), so the NMI
; latched in the handler arrives before the #GP handler runs.  Softvisor only:
; QEMU 7.2 keeps NMIs blocked until an IRET completes.
%define TESTNAME "nmi-iret-fault"
%define NMI_IRET_FAULT
%include "nmi.asm"
