; vm86.asm -- virtual-8086 mode.
; Enters VM86 from 32-bit protected mode with IRETD (EFLAGS.VM=1, IOPL=0,
; segment registers from the frame), runs real-mode style code (seg*16
; addressing, 16-bit stack), then:
;  * `int 0x31` with IOPL<3 -> #GP(0) to the protected-mode handler: checks
;    error code, frame (EIP = the int, CS, EFLAGS.VM, ESP, SS and the pushed
;    ES/DS/FS/GS), data segments zeroed on entry, ring-0 stack from the TSS;
;    the handler "emulates" it, raises IOPL to 3 and IRETs back to VM86;
;  * `int 0x32` with IOPL=3 -> through the IDT (DPL3 gate) to a ring-0
;    handler; checks the frame (EIP = next instruction) and returns;
;  * `int 0x33` -> exit back to the protected-mode program.
; Values produced in VM86 are checked afterwards from protected mode.
; Follows Intel SDM vol. 3B ch. 20.2 (virtual-8086 mode), 20.3 (interrupt and
; exception handling in VM86: 20.3.1.1 handler in protected mode, stack
; frame with segment registers), 20.2.7 (sensitive instructions, IOPL).
%define TESTNAME "vm86"
%include "lib/common.inc"

VM_CS   equ 0xF000
VM_SS   equ 0x6000
VM_SP   equ 0xFFF0
VM_DS   equ 0x1234
VM_ES   equ 0x2345
VM_FS   equ 0x3456
VM_GS   equ 0x4567
RES_SEG equ 0x0800                  ; results at linear 0x8000
RES     equ RES_SEG * 16
gp_hits equ VARS + 0x40

; ------------------------------------------------------------ VM86 code
section .rm
bits 16
main_rm:
    jmp go_pm32

vm_code:
    mov bx, ds
    mov ax, RES_SEG
    mov ds, ax
    mov [0x00], bx                  ; initial DS
    mov [0x02], es
    mov [0x04], fs
    mov [0x06], gs
    mov [0x08], ss
    mov [0x0A], sp
    mov [0x0C], cs
    ; segment arithmetic: 0x0801:0x0000 == 0x0800:0x0010
    mov word [0x10], 0x1357
    mov ax, RES_SEG + 1
    mov es, ax
    mov ax, [es:0x0000]
    mov [0x12], ax
    ; 16-bit stack
    push word 0xBEEF
    mov [0x14], sp
    pop ax
    ; a small computation: sum 1..100 = 5050
    xor ax, ax
    mov cx, 100
.sum: add ax, cx
    loop .sum
    mov [0x16], ax
    xor ax, ax
vm_int31:
    int 0x31                        ; IOPL 0: #GP(0)
    mov [0x18], ax                  ; set by the #GP handler
    sub sp, 0x10                    ; keep the 0xBEEF word below SP intact
    pushf                           ; allowed now (IOPL 3)
    pop ax
    add sp, 0x10
    mov [0x1A], ax
    mov ax, 0
    int 0x32                        ; IOPL 3: through the IDT
vm_after32:
    mov [0x1C], ax
    int 0x33
    jmp $

; ------------------------------------------------------------ protected mode
section .pm
bits 32
main32:
    call tss32_init
    IDT32_SET 13, gp_vm, 0x8E
    IDT32_SET 0x32, int32_vm, 0xEE
    IDT32_SET 0x33, int33_vm, 0xEE
    mov edi, RES
    mov ecx, 0x40 / 4
    xor eax, eax
    rep stosd
    mov dword [gp_hits], 0

    call enter_vm86

    mov ax, cs
    CHECK ax, SEL_CODE32, 0x11, "back in protected mode: CS"
    pushfd
    pop eax
    test eax, 0x20000
    jz .novm
    FAILV 0x12, "EFLAGS.VM still set", eax
.novm:
    CHECK dword [gp_hits], 1, 0x13, "#GP handler hits"
    movzx eax, word [RES + 0x00]
    CHECK eax, VM_DS, 0x14, "VM86: DS from IRET frame"
    movzx eax, word [RES + 0x02]
    CHECK eax, VM_ES, 0x15, "VM86: ES from IRET frame"
    movzx eax, word [RES + 0x04]
    CHECK eax, VM_FS, 0x16, "VM86: FS from IRET frame"
    movzx eax, word [RES + 0x06]
    CHECK eax, VM_GS, 0x17, "VM86: GS from IRET frame"
    movzx eax, word [RES + 0x08]
    CHECK eax, VM_SS, 0x18, "VM86: SS from IRET frame"
    movzx eax, word [RES + 0x0A]
    CHECK eax, VM_SP, 0x19, "VM86: SP from IRET frame"
    movzx eax, word [RES + 0x0C]
    CHECK eax, VM_CS, 0x1A, "VM86: CS"
    movzx eax, word [RES + 0x12]
    CHECK eax, 0x1357, 0x1B, "VM86: segment aliasing"
    movzx eax, word [RES + 0x14]
    CHECK eax, VM_SP - 2, 0x1C, "VM86: push size"
    CHECK word [VM_SS * 16 + VM_SP - 2], 0xBEEF, 0x1D, "VM86: stack linear address"
    movzx eax, word [RES + 0x16]
    CHECK eax, 5050, 0x1E, "VM86: computation"
    movzx eax, word [RES + 0x18]
    CHECK eax, 0x3131, 0x1F, "VM86: value from #GP monitor"
    movzx eax, word [RES + 0x1A]
    and eax, 0x3000
    CHECK eax, 0x3000, 0x20, "VM86: IOPL after monitor"
    movzx eax, word [RES + 0x1C]
    CHECK eax, 0x3232, 0x21, "VM86: value from int 0x32"
    PASS

enter_vm86:
    pushad
    mov [v_saved_esp], esp
    mov [TSS_BASE + 4], esp
    push dword VM_GS
    push dword VM_FS
    push dword VM_DS
    push dword VM_ES
    push dword VM_SS
    push dword VM_SP
    push dword 0x00020002           ; VM=1, IOPL=0, IF=0
    push dword VM_CS
    push dword vm_code
    iretd

; #GP from VM86. [esp] err, eip, cs, eflags, esp, ss, es, ds, fs, gs
gp_vm:
    mov bx, ds
    movzx ebx, bx
    CHECK ebx, 0, 0x30, "#GP from VM86: DS not zeroed"
    mov bx, SEL_DATA
    mov ds, bx
    mov bx, es
    CHECK bx, 0, 0x31, "#GP from VM86: ES not zeroed"
    mov bx, fs
    CHECK bx, 0, 0x32, "#GP from VM86: FS not zeroed"
    mov bx, gs
    CHECK bx, 0, 0x33, "#GP from VM86: GS not zeroed"
    cmp dword [gp_hits], 0
    je .first
    FAILV 0x34, "unexpected #GP from VM86, eip", dword [esp + 4]
.first:
    inc dword [gp_hits]
    lea ebx, [esp + 40]
    CHECK ebx, [TSS_BASE + 4], 0x35, "#GP from VM86: not on TSS ESP0 stack"
    CHECK dword [esp], 0, 0x36, "#GP from VM86: error code"
    CHECK dword [esp + 4], vm_int31, 0x37, "#GP from VM86: EIP"
    CHECK dword [esp + 8], VM_CS, 0x38, "#GP from VM86: CS"
    mov ebx, [esp + 12]
    and ebx, 0x23000
    CHECK ebx, 0x20000, 0x39, "#GP from VM86: EFLAGS (VM=1, IOPL=0)"
    CHECK dword [esp + 16], VM_SP, 0x3A, "#GP from VM86: ESP"
    CHECK dword [esp + 20], VM_SS, 0x3B, "#GP from VM86: SS"
    CHECK dword [esp + 24], RES_SEG + 1, 0x3C, "#GP from VM86: ES"
    CHECK dword [esp + 28], RES_SEG, 0x3D, "#GP from VM86: DS"
    CHECK dword [esp + 32], VM_FS, 0x3E, "#GP from VM86: FS"
    CHECK dword [esp + 36], VM_GS, 0x3F, "#GP from VM86: GS"
    ; emulate: skip the 2-byte int, return a value, IOPL := 3
    add dword [esp + 4], 2
    or dword [esp + 12], 0x3000
    mov eax, 0x3131
    add esp, 4
    iretd

; int 0x32 from VM86 (IOPL 3): eip, cs, eflags, esp, ss, es, ds, fs, gs
int32_vm:
    mov bx, ds
    CHECK bx, 0, 0x40, "int from VM86: DS not zeroed"
    mov bx, SEL_DATA
    mov ds, bx
    lea ebx, [esp + 36]
    CHECK ebx, [TSS_BASE + 4], 0x41, "int from VM86: not on TSS ESP0 stack"
    CHECK dword [esp], vm_after32, 0x42, "int from VM86: EIP"
    CHECK dword [esp + 4], VM_CS, 0x43, "int from VM86: CS"
    mov ebx, [esp + 8]
    and ebx, 0x23000
    CHECK ebx, 0x23000, 0x44, "int from VM86: EFLAGS (VM=1, IOPL=3)"
    CHECK dword [esp + 12], VM_SP, 0x45, "int from VM86: ESP"
    CHECK dword [esp + 16], VM_SS, 0x46, "int from VM86: SS"
    CHECK dword [esp + 24], RES_SEG, 0x47, "int from VM86: DS"
    mov ax, cs
    CHECK ax, SEL_CODE32, 0x48, "int from VM86: handler CS"
    mov eax, 0x3232
    iretd

int33_vm:
    mov bx, SEL_DATA
    mov ds, bx
    mov ebx, [esp + 8]
    test ebx, 0x20000
    jnz .vm
    FAILV 0x49, "exit int: EFLAGS.VM not set in frame", ebx
.vm:
    jmp ring0_resume
