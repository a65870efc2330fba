; multiboot.asm -- a multiboot v1 kernel (flat binary with the a.out kludge) that checks what the
; boot loader hands it, run with -kernel instead of a ROM (run-guest.sh --kernel):
;   entry state (Multiboot 0.6.96, 3.2): EAX = 0x2BADB002, CR0.PE = 1, CR0.PG = 0, EFLAGS.IF = 0,
;     EFLAGS.VM = 0;
;   the image is intact and the bss is zero (3.1.3: bss_end_addr);
;   the info structure (3.3): flags bits 0 (mem_lower/mem_upper), 2 (cmdline) and 6 (mmap);
;     mem_lower 600-640 KiB, mem_upper 30-31 MiB for -m 32; the command line ends with the -append
;     string "mbtest=1 two" (QEMU puts the kernel's file name in front, as GRUB does); the memory
;     map has RAM from 0 and RAM over 1 MiB-16 MiB, each entry's size at least 20;
;   none of the info structure, the memory map or the command line overlaps the kernel image or
;     its bss.
; LOAD (nasm -DLOAD=...) is where the kernel is linked: multiboot.bin at 1 MiB (QEMU and softvisor),
; multiboot-low.bin at 0x9000, inside the area QEMU and older softvisor loaders used for the info
; structure (softvisor only: QEMU 7.2 keeps its memory map at 0x9000 and the info structure at
; 0x9500 whatever the kernel occupies, so kernel and info structure overwrite each other and the
; kernel finds no valid flags).
; Report: text on port 0xE9, "multiboot: PASS" then 0x10 to port 0xF4; a failed check prints
; "multiboot: FAIL <what>" and writes its code (0x11-0x1F) instead.
%ifndef LOAD
%define LOAD 0x100000
%endif

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ (1 << 1) | (1 << 16)          ; memory information; the address fields are valid
MEM_UPPER equ (32 - 1) * 1024               ; KiB above 1 MiB with -m 32 (the firmware may keep
                                            ; some: QEMU's SeaBIOS reserves the top 128 KiB)
PATTERN_LEN equ 4096
BSS_LEN equ 8192

bits 32
org LOAD

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd header                               ; header_addr
    dd LOAD                                 ; load_addr
    dd image_end                            ; load_end_addr
    dd bss_end                              ; bss_end_addr
    dd start                                ; entry_addr

; FAILIF cc, code, "what": report a failure when condition cc holds
%macro FAILIF 3
    j%-1 %%ok
    mov esi, %%msg
    mov al, %2
    jmp fail
%%msg: db %3, 0
%%ok:
%endmacro

; OUTSIDE start, end (registers other than EAX/ECX), code, "what": fail unless [start, end) and
; the kernel image with its bss [LOAD, bss_end) are disjoint
%macro OUTSIDE 4
    cmp %2, LOAD
    jbe %%ok
    cmp %1, bss_end
    jae %%ok
    mov esi, %%msg
    mov al, %3
    jmp fail
%%msg: db %4, 0
%%ok:
%endmacro

start:
    cmp eax, 0x2BADB002
    FAILIF ne, 0x11, "EAX is not 0x2BADB002"
    mov ebp, ebx                            ; EBP = info structure
    mov eax, cr0
    and eax, 0x80000001
    cmp eax, 1
    FAILIF ne, 0x12, "CR0.PE/PG"

    ; the bss is zero (checked before the stack in it is used: ESP is undefined at entry), the
    ; image intact
    mov edi, bss_start
.bss:
    cmp dword [edi], 0
    FAILIF ne, 0x14, "bss not zero"
    add edi, 4
    cmp edi, bss_end
    jb .bss
    mov esp, stack_top
    pushfd
    pop eax
    test eax, 0x00020200
    FAILIF nz, 0x13, "EFLAGS.IF or VM set"
    xor ecx, ecx
.pat:
    mov al, cl
    imul eax, eax, 7
    add al, 3
    cmp [pattern + ecx], al
    FAILIF ne, 0x15, "kernel image overwritten"
    inc ecx
    cmp ecx, PATTERN_LEN
    jb .pat

    ; the info structure
    mov eax, [ebp]
    and eax, 0x45
    cmp eax, 0x45
    FAILIF ne, 0x16, "info flags lack mem, cmdline or mmap"
    mov eax, [ebp + 4]
    cmp eax, 600
    FAILIF b, 0x17, "mem_lower below 600 KiB"
    cmp eax, 640
    FAILIF a, 0x17, "mem_lower above 640 KiB"
    mov eax, [ebp + 8]
    cmp eax, MEM_UPPER
    FAILIF a, 0x18, "mem_upper above 31 MiB"
    cmp eax, MEM_UPPER - 1024
    FAILIF b, 0x18, "mem_upper below 30 MiB"

    ; the command line ends with the -append string
    mov esi, [ebp + 16]
    mov edi, esi
    xor eax, eax
    mov ecx, 0x10000
    repne scasb                             ; EDI = one past the NUL
    mov ebx, edi
    OUTSIDE esi, ebx, 0x19, "command line overlaps the kernel"
    sub edi, append_len + 1
    cmp edi, esi
    FAILIF b, 0x1A, "command line too short"
    mov esi, append
    mov ecx, append_len
    repe cmpsb
    FAILIF ne, 0x1A, "command line does not end with the -append string"

    ; the memory map: RAM from 0, RAM over 1 MiB-16 MiB
    mov esi, [ebp + 48]
    mov edx, esi
    add edx, [ebp + 44]                     ; EDX = end of the map
    OUTSIDE esi, edx, 0x1B, "memory map overlaps the kernel"
    xor edi, edi                            ; bit 0: RAM at 0, bit 1: RAM over 1-16 MiB
.entry:
    cmp esi, edx
    jae .map_done
    cmp dword [esi], 20
    FAILIF b, 0x1C, "memory map entry size below 20"
    cmp dword [esi + 20], 1
    jne .next
    cmp dword [esi + 8], 0                  ; base above 4 GiB
    jne .next
    mov eax, [esi + 4]
    test eax, eax
    jnz .high
    or edi, 1
.high:
    cmp eax, 0x100000
    ja .next
    add eax, [esi + 12]                     ; end (the entries here are below 4 GiB)
    cmp eax, 0x1000000
    jb .next
    or edi, 2
.next:
    add esi, [esi]
    add esi, 4
    jmp .entry
.map_done:
    cmp edi, 3
    FAILIF ne, 0x1D, "memory map lacks RAM at 0 or over 1-16 MiB"

    ; the info structure itself (88 bytes)
    lea ebx, [ebp + 88]
    OUTSIDE ebp, ebx, 0x1E, "info structure overlaps the kernel"

    mov esi, s_pass
    call print
    mov al, 0x10
    out 0xF4, al
    cli
    hlt

; fail: ESI = what, AL = code
fail:
    mov bl, al
    mov esp, stack_top
    push esi
    mov esi, s_fail
    call print
    pop esi
    call print
    mov esi, s_nl
    call print
    mov al, bl
    out 0xF4, al
    cli
    hlt

; print: the NUL-terminated string at ESI to port 0xE9
print:
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp print
.done:
    ret

s_pass: db "multiboot: PASS", 10, 0
s_fail: db "multiboot: FAIL ", 0
s_nl: db 10, 0
append: db "mbtest=1 two"
append_len equ $ - append

align 4
pattern:
%assign i 0
%rep PATTERN_LEN
    db (i * 7 + 3) & 0xFF
%assign i i + 1
%endrep
image_end:

section .bss follows=.text nobits
alignb 4
bss_start:
    resb BSS_LEN
stack_top:
bss_end:
