; stack-atomic-sv.asm -- stack-atomic.asm with the checks QEMU 7.2 gets wrong
; (SV_ONLY; the list and QEMU's behaviour are in stack-atomic.asm), run under
; softvisor only.
%define TESTNAME "stack-atomic-sv"
%define SV_ONLY
%include "stack-atomic.asm"
