; taskswitch.asm -- 32-bit hardware task switching.
; Task A (started with LTR) JMPs to task B through a TSS descriptor; B takes
; `int 0x90` through a task gate in the IDT to task C; C IRETs (NT=1) back to
; B through the back-link; B JMPs back to A; A CALLs B, which IRETs back.
; Checked at every step: registers and segment registers loaded from the new
; TSS, state saved into the old TSS (EIP of the next instruction, GPRs, ESP,
; EFLAGS, selectors), TR, busy bits of the TSS descriptors (JMP clears the old
; one, CALL/int keep it, IRET clears it), EFLAGS.NT, the back-link field and
; CR0.TS being set by each switch.
; Follows Intel SDM vol. 3A ch. 7 (task management): 7.2 (TSS, task gate),
; 7.3 (task switching), 7.4 (task linking, busy flag, NT).
%define TESTNAME "taskswitch"
%include "lib/common.inc"

TSS_A       equ 0x4000
TSS_B       equ 0x4100
TSS_C       equ 0x4200
SEL_TSSA    equ SEL_FREE            ; 0x68
SEL_TSSB    equ SEL_FREE + 8        ; 0x70
SEL_TSSC    equ SEL_FREE + 16       ; 0x78
STACK_B     equ 0x5E000
STACK_C     equ 0x5D000
saved_esp_a equ VARS + 0x40

; TSS field offsets
T_LINK  equ 0x00
T_CR3   equ 0x1C
T_EIP   equ 0x20
T_EFL   equ 0x24
T_EAX   equ 0x28
T_ECX   equ 0x2C
T_EDX   equ 0x30
T_EBX   equ 0x34
T_ESP   equ 0x38
T_EBP   equ 0x3C
T_ESI   equ 0x40
T_EDI   equ 0x44
T_ES    equ 0x48
T_CS    equ 0x4C
T_SS    equ 0x50
T_DS    equ 0x54
T_FS    equ 0x58
T_GS    equ 0x5C

%macro BUSY 3   ; selector, 0x89/0x8B, code
    movzx eax, byte [GDT_BASE + %1 + 5]
    CHECK eax, %2, %3, "TSS descriptor type (busy bit)"
%endmacro

%macro NT 2     ; 0/1, code
    pushfd
    pop eax
    and eax, 0x4000
    CHECK eax, (%1) * 0x4000, %2, "EFLAGS.NT"
%endmacro

%macro TS_SET 1 ; code: CR0.TS must be set; clear it
    mov eax, cr0
    test eax, 8
    jnz %%ok
    FAILV %1, "CR0.TS not set by task switch", eax
%%ok:
    clts
%endmacro

section .rm
bits 16
main_rm:
    jmp go_pm32

section .pm
bits 32
; init_tss: EDI = TSS, EBX = EIP, EDX = ESP
init_tss:
    push edi
    push ecx
    push eax
    mov ecx, 0x80 / 4
    xor eax, eax
    rep stosd
    pop eax
    pop ecx
    pop edi
    mov [edi + T_EIP], ebx
    mov [edi + T_ESP], edx
    mov dword [edi + T_EFL], 0x2
    mov dword [edi + T_CS], SEL_CODE32
    mov dword [edi + T_SS], SEL_DATA
    mov dword [edi + T_DS], SEL_DATA
    mov dword [edi + T_ES], SEL_DATA
    mov dword [edi + T_FS], SEL_DATA
    mov dword [edi + T_GS], SEL_DATA
    mov word [edi + 0x66], 0x68
    ret

main32:
    mov edi, TSS_A
    xor ebx, ebx
    xor edx, edx
    call init_tss
    mov edi, TSS_B
    mov ebx, task_b
    mov edx, STACK_B
    call init_tss
    mov dword [TSS_B + T_EAX], 0xB000000A
    mov dword [TSS_B + T_ECX], 0xB000000C
    mov dword [TSS_B + T_EDX], 0xB000000D
    mov dword [TSS_B + T_EBX], 0xB000000B
    mov dword [TSS_B + T_EBP], 0xB00000BB
    mov dword [TSS_B + T_ESI], 0xB0000051
    mov dword [TSS_B + T_EDI], 0xB00000D1
    mov dword [TSS_B + T_ES], SEL_DATA16
    mov edi, TSS_C
    mov ebx, task_c
    mov edx, STACK_C
    call init_tss
    ; descriptors
    mov eax, SEL_TSSA
    mov ebx, TSS_A
    mov ecx, 0x67
    mov dl, 0x89
    mov dh, 0
    call set_desc32
    mov eax, SEL_TSSB
    mov ebx, TSS_B
    call set_desc32
    mov eax, SEL_TSSC
    mov ebx, TSS_C
    call set_desc32
    ; task gate for vector 0x90
    mov dword [IDT_BASE + 0x90*8], SEL_TSSC << 16
    mov dword [IDT_BASE + 0x90*8 + 4], 0x8500

    mov ax, SEL_TSSA
    ltr ax
    BUSY SEL_TSSA, 0x8B, 0x11
    BUSY SEL_TSSB, 0x89, 0x12

    ; ---- JMP to task B
    mov eax, 0xA000000A
    mov ebx, 0xA000000B
    mov ecx, 0xA000000C
    mov edx, 0xA000000D
    mov esi, 0xA0000051
    mov edi, 0xA00000D1
    mov ebp, 0xA00000BB
    mov [saved_esp_a], esp
    jmp SEL_TSSB:0
a_resume1:
    ; registers come back from TSS A
    CHECK eax, 0xA000000A, 0x13, "A: EAX after switch back"
    CHECK ebx, 0xA000000B, 0x14, "A: EBX after switch back"
    CHECK ecx, 0xA000000C, 0x15, "A: ECX after switch back"
    CHECK edx, 0xA000000D, 0x16, "A: EDX after switch back"
    CHECK esi, 0xA0000051, 0x17, "A: ESI after switch back"
    CHECK edi, 0xA00000D1, 0x18, "A: EDI after switch back"
    CHECK ebp, 0xA00000BB, 0x19, "A: EBP after switch back"
    CHECK esp, [saved_esp_a], 0x1A, "A: ESP after switch back"
    TS_SET 0x1B
    str ax
    CHECK ax, SEL_TSSA, 0x1C, "A: TR"
    BUSY SEL_TSSA, 0x8B, 0x1D
    BUSY SEL_TSSB, 0x89, 0x1E
    NT 0, 0x1F
    mov eax, [TSS_B + T_EIP]
    CHECK eax, b_phase2, 0x20, "TSS B: saved EIP after JMP"

    ; ---- CALL task B: nested, B IRETs back
    mov eax, 0xA1A1A1A1
    call SEL_TSSB:0
a_resume2:
    CHECK eax, 0xA1A1A1A1, 0x21, "A: EAX after CALL/IRET"
    TS_SET 0x22
    NT 0, 0x23
    BUSY SEL_TSSA, 0x8B, 0x24
    BUSY SEL_TSSB, 0x89, 0x25
    str ax
    CHECK ax, SEL_TSSA, 0x26, "A: TR after IRET"
    mov eax, [TSS_B + T_EAX]
    CHECK eax, 0xB2B2B2B2, 0x27, "TSS B: EAX saved by IRET"
    mov eax, [TSS_B + T_EIP]
    CHECK eax, b_end, 0x28, "TSS B: EIP saved by IRET"
    mov eax, [TSS_A + T_EIP]
    CHECK eax, a_resume2, 0x29, "TSS A: EIP saved by CALL"
    PASS

; ------------------------------------------------------------ task B
task_b:
    CHECK eax, 0xB000000A, 0x30, "B: EAX from TSS"
    CHECK ebx, 0xB000000B, 0x31, "B: EBX from TSS"
    CHECK ecx, 0xB000000C, 0x32, "B: ECX from TSS"
    CHECK edx, 0xB000000D, 0x33, "B: EDX from TSS"
    CHECK esi, 0xB0000051, 0x34, "B: ESI from TSS"
    CHECK edi, 0xB00000D1, 0x35, "B: EDI from TSS"
    CHECK ebp, 0xB00000BB, 0x36, "B: EBP from TSS"
    CHECK esp, STACK_B, 0x37, "B: ESP from TSS"
    mov ax, es
    CHECK ax, SEL_DATA16, 0x38, "B: ES from TSS"
    str ax
    CHECK ax, SEL_TSSB, 0x39, "B: TR"
    TS_SET 0x3A
    NT 0, 0x3B
    BUSY SEL_TSSA, 0x89, 0x3C
    BUSY SEL_TSSB, 0x8B, 0x3D
    mov eax, [TSS_B + T_LINK]
    CHECK ax, 0, 0x3E, "B: back link set by JMP"
    ; state saved in TSS A
    mov eax, [TSS_A + T_EIP]
    CHECK eax, a_resume1, 0x3F, "TSS A: saved EIP"
    CHECK dword [TSS_A + T_EAX], 0xA000000A, 0x40, "TSS A: saved EAX"
    CHECK dword [TSS_A + T_ECX], 0xA000000C, 0x41, "TSS A: saved ECX"
    CHECK dword [TSS_A + T_EDX], 0xA000000D, 0x42, "TSS A: saved EDX"
    CHECK dword [TSS_A + T_EBX], 0xA000000B, 0x43, "TSS A: saved EBX"
    CHECK dword [TSS_A + T_EBP], 0xA00000BB, 0x44, "TSS A: saved EBP"
    CHECK dword [TSS_A + T_ESI], 0xA0000051, 0x45, "TSS A: saved ESI"
    CHECK dword [TSS_A + T_EDI], 0xA00000D1, 0x46, "TSS A: saved EDI"
    mov eax, [saved_esp_a]
    CHECK dword [TSS_A + T_ESP], eax, 0x47, "TSS A: saved ESP"
    movzx eax, word [TSS_A + T_CS]
    CHECK eax, SEL_CODE32, 0x48, "TSS A: saved CS"
    movzx eax, word [TSS_A + T_SS]
    CHECK eax, SEL_DATA, 0x49, "TSS A: saved SS"
    mov eax, [TSS_A + T_EFL]
    and eax, 0x4000
    CHECK eax, 0, 0x4A, "TSS A: saved EFLAGS.NT"
    ; ---- int 0x90 through the task gate to C
    mov ecx, 0xB1B1B1B1
    int 0x90
b_after_int:
    CHECK ecx, 0xB1B1B1B1, 0x4B, "B: ECX after return from C"
    TS_SET 0x4C
    NT 0, 0x4D
    str ax
    CHECK ax, SEL_TSSB, 0x4E, "B: TR after IRET from C"
    BUSY SEL_TSSB, 0x8B, 0x4F
    BUSY SEL_TSSC, 0x89, 0x50
    mov eax, [TSS_C + T_EIP]
    CHECK eax, c_after_iret, 0x51, "TSS C: EIP saved by IRET"
    ; ---- back to A with JMP
    jmp SEL_TSSA:0
b_phase2:
    ; entered by A's CALL: nested task
    TS_SET 0x52
    NT 1, 0x53
    movzx eax, word [TSS_B + T_LINK]
    CHECK eax, SEL_TSSA, 0x54, "B: back link after CALL"
    BUSY SEL_TSSA, 0x8B, 0x55
    BUSY SEL_TSSB, 0x8B, 0x56
    mov eax, 0xB2B2B2B2
    iretd
b_end:
    FAIL 0x57, "B resumed after its final IRET"

; ------------------------------------------------------------ task C
task_c:
    TS_SET 0x60
    NT 1, 0x61
    str ax
    CHECK ax, SEL_TSSC, 0x62, "C: TR"
    movzx eax, word [TSS_C + T_LINK]
    CHECK eax, SEL_TSSB, 0x63, "C: back link after task gate"
    BUSY SEL_TSSB, 0x8B, 0x64
    BUSY SEL_TSSC, 0x8B, 0x65
    mov eax, [TSS_B + T_EIP]
    CHECK eax, b_after_int, 0x66, "TSS B: EIP saved by int (task gate)"
    CHECK dword [TSS_B + T_ECX], 0xB1B1B1B1, 0x67, "TSS B: saved ECX"
    CHECK esp, STACK_C, 0x68, "C: ESP from TSS"
    iretd
c_after_iret:
    FAIL 0x69, "C resumed after its IRET"
