; demo.asm -- the README's demo guest: boots from the reset vector, prints to COM1 (the
; terminal), enters 32-bit protected mode, counts the primes below 10000 with a sieve and
; prints the count, then halts with interrupts disabled (which ends the run).
; Runs the same under QEMU: qemu-system-x86_64 -nographic -bios demo.bin
bits 16
org 0
COM1 equ 0x3f8
SIEVE equ 0x100000          ; 10000 bytes of sieve at 1 MiB
LIMIT equ 10000

rm_start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov si, msg_hello
    call puts16
    ; flat 32-bit protected mode
    o32 lgdt [cs:gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(0xf0000 + pm_start)

puts16:                       ; DS:SI -> COM1, SI is an offset in the ROM segment
    mov al, [cs:si]
    test al, al
    jz .done
    call putc16
    inc si
    jmp puts16
.done:
    ret

putc16:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

bits 32
pm_start:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    mov esi, 0xf0000 + msg_pm
    call puts32
    ; sieve of Eratosthenes over [2, LIMIT)
    mov edi, SIEVE
    mov ecx, LIMIT
    mov al, 1
    rep stosb
    mov ebx, 2
.outer:
    mov eax, ebx
    imul eax, ebx
    cmp eax, LIMIT
    jae .count
    cmp byte [SIEVE + ebx], 0
    je .next
.mark:
    mov byte [SIEVE + eax], 0
    add eax, ebx
    cmp eax, LIMIT
    jb .mark
.next:
    inc ebx
    jmp .outer
.count:
    xor edx, edx
    mov ebx, 2
.cloop:
    movzx eax, byte [SIEVE + ebx]
    add edx, eax
    inc ebx
    cmp ebx, LIMIT
    jb .cloop
    mov eax, edx
    call putdec32
    mov esi, 0xf0000 + msg_end
    call puts32
    cli
    hlt

puts32:
    lodsb
    test al, al
    jz .done
    call putc32
    jmp puts32
.done:
    ret

putc32:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

putdec32:                     ; EAX in decimal
    mov ecx, 10
    xor ebx, ebx
.div:
    xor edx, edx
    div ecx
    push edx
    inc ebx
    test eax, eax
    jnz .div
.out:
    pop eax
    add al, '0'
    call putc32
    dec ebx
    jnz .out
    ret

msg_hello: db "softvisor demo: hello from real mode", 13, 10, 0
msg_pm:    db "now in 32-bit protected mode; primes below 10000: ", 0
msg_end:   db 13, 10, "demo done, halting", 13, 10, 0

align 8
gdt:
    dq 0
    dq 0x00cf9b000000ffff     ; 0x08 flat 32-bit code
    dq 0x00cf93000000ffff     ; 0x10 flat data
gdtr:
    dw gdtr - gdt - 1
    dd 0xf0000 + gdt

    times 0xfff0 - ($ - $$) db 0xf4
bits 16
    jmp 0xf000:rm_start
    times 0x10000 - ($ - $$) db 0xf4
