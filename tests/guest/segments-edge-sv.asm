; segments-edge-sv.asm -- segments-edge.asm with the checks QEMU 7.2 gets
; wrong (SV_ONLY; the list and QEMU's behaviour are in segments-edge.asm), run
; under softvisor only.
%define TESTNAME "segments-edge-sv"
%define SV_ONLY
%include "segments-edge.asm"
