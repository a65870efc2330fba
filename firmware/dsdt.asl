/*
 * dsdt.asl — the Differentiated System Description Table of softvisor's PC (i440FX host bridge,
 * PIIX3 ISA bridge, PIIX4 power management), compiled to AML by iasl at build time
 * (firmware/meson.build) and placed in guest RAM by acpi_build() (firmware/acpi.c).
 *
 * Spec: ACPI 6.4 sections 5.2.11 (DSDT), 6.1 (device identification: _HID/_UID/_ADR),
 * 6.2 (_CRS and the resource descriptors), 6.5.5 (_BBN), 7.4.2 (\_Sx sleep packages),
 * 5.8.1 (\_PIC), 8.4 (processor devices, ACPI0007); PNP IDs from the PNP ISA device list:
 * PNP0000 AT interrupt controller, PNP0100 AT timer, PNP0800 speaker, PNP0B00 AT real-time clock,
 * PNP0303 AT keyboard controller, PNP0F13 PS/2 mouse, PNP0501 16550A UART, PNP0103 HPET,
 * PNP0C04 math coprocessor, PNP0C02 motherboard resources, PNP0A03 PCI host bridge.
 *
 * Fixed values shared with the chips (devices/) and the FADT/MADT (firmware/acpi.c):
 *   PM I/O block 0x600-0x63F (PIIX4 PMBA), GPE0 0xAFE0-0xAFE3, APM control/status 0xB2-0xB3,
 *   SCI = ISA IRQ 9, HPET at 0xFED00000 (1 KiB), PCI configuration mechanism #1 at 0xCF8-0xCFF
 *   (0xCF9 is the PIIX3 reset control register inside that range).
 *   \_S5 = {0, 0, 0, 0}: SLP_TYP 0 with SLP_EN in PM1a_CNT powers the machine off.
 *
 * The PCI host bridge's 32-bit memory window runs from the top of RAM below 4 GiB to 0xFEBFFFFF
 * (just below the I/O APIC). The top of RAM depends on the VM's memory size: the integer object
 * \_SB.PCI0.TOLM holds a placeholder that acpi_build() overwrites (it finds the AML bytes
 * NameOp 'TOLM' DWordPrefix, which occur exactly once), and _CRS fills the window from it.
 *
 * XXX: no _PRT: the board has no PCI device that raises an interrupt through a PCI INTx pin yet;
 * the PIIX4 PM function signals through the SCI (ISA IRQ 9, from the FADT), not through _PRT.
 * XXX: no 8237 DMA controller, floppy or parallel port on the board, so no PNP0200/PNP0700/PNP0400.
 */
DefinitionBlock ("", "DSDT", 2, "SFTVSR", "SFTVSRPC", 1)
{
    /* \_PIC(1) tells the firmware the OS routes interrupts through the I/O APIC; nothing here
     * depends on the mode (no _PRT), so the value is only remembered. */
    Name (PICM, Zero)
    Method (_PIC, 1, NotSerialized)
    {
        PICM = Arg0
    }

    /* Soft-off: PM1a_CNT.SLP_TYP = 0, PM1b unused. */
    Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })

    Scope (\_SB)
    {
        /* The one processor; _UID matches the ACPI processor UID of its MADT local APIC entry. */
        Device (CPU0)
        {
            Name (_HID, "ACPI0007")
            Name (_UID, Zero)
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
        }

        /* i440FX host bridge: PCI segment 0, buses 0-255. */
        Device (PCI0)
        {
            /* XXX: no _ADR: ACPI 6.4 section 6.1 says a device has _HID or _ADR, never both (iasl
             * warning 3073); a host bridge is identified by _HID, its bus by _BBN and _SEG. */
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_BBN, Zero)

            /* Top of RAM below 4 GiB, written by acpi_build(); the placeholder keeps a DWordPrefix. */
            Name (TOLM, 0xE0000000)

            Name (CRSB, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000, 0x0000, 0x00FF, 0x0000, 0x0100,,,)
                IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08,)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8,,, , TypeStatic, DenseTranslation)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,,, , TypeStatic, DenseTranslation)
                /* Legacy VGA memory. */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
                    0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000,,,,
                    AddressRangeMemory, TypeStatic)
                /* The PCI hole: TOLM .. 0xFEBFFFFF (the bounds are filled in by _CRS). */
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000, 0xE0000000, 0xFEBFFFFF, 0x00000000, 0x1EC00000,,, PHOL,
                    AddressRangeMemory, TypeStatic)
            })

            Method (_CRS, 0, Serialized)
            {
                CreateDWordField (CRSB, \_SB.PCI0.PHOL._MIN, HMIN)
                CreateDWordField (CRSB, \_SB.PCI0.PHOL._LEN, HLEN)
                HMIN = TOLM
                HLEN = (0xFEC00000 - TOLM)
                Return (CRSB)
            }

            /* PIIX3 PCI-to-ISA bridge, device 1 function 0; the legacy chips sit behind it. */
            Device (ISA)
            {
                Name (_ADR, 0x00010000)

                Device (PIC)
                {
                    Name (_HID, EisaId ("PNP0000"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0020, 0x0020, 0x01, 0x02,)
                        IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02,)
                        IO (Decode16, 0x04D0, 0x04D0, 0x01, 0x02,)   /* ELCR */
                        IRQNoFlags () {2}
                    })
                }

                Device (TMR)
                {
                    Name (_HID, EisaId ("PNP0100"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0040, 0x0040, 0x01, 0x04,)
                        IRQNoFlags () {0}
                    })
                }

                Device (SPKR)
                {
                    Name (_HID, EisaId ("PNP0800"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0061, 0x0061, 0x01, 0x01,)
                    })
                }

                /* The PIIX decodes 0x70-0x77 for the RTC (0x72/0x73 index the upper CMOS bank). */
                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0070, 0x0070, 0x01, 0x08,)
                        IRQNoFlags () {8}
                    })
                }

                Device (KBD)
                {
                    Name (_HID, EisaId ("PNP0303"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0060, 0x0060, 0x01, 0x01,)
                        IO (Decode16, 0x0064, 0x0064, 0x01, 0x01,)
                        IRQNoFlags () {1}
                    })
                }

                Device (MOU)
                {
                    Name (_HID, EisaId ("PNP0F13"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IRQNoFlags () {12}
                    })
                }

                Device (COM1)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08,)
                        IRQNoFlags () {4}
                    })
                }

                Device (COM2)
                {
                    Name (_HID, EisaId ("PNP0501"))
                    Name (_UID, 0x02)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x02F8, 0x02F8, 0x01, 0x08,)
                        IRQNoFlags () {3}
                    })
                }

                Device (FPU)
                {
                    Name (_HID, EisaId ("PNP0C04"))
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x00F0, 0x00F0, 0x01, 0x10,)
                        IRQNoFlags () {13}
                    })
                }

                Device (HPET)
                {
                    Name (_HID, EisaId ("PNP0103"))
                    Name (_UID, Zero)
                    Name (_CRS, ResourceTemplate ()
                    {
                        Memory32Fixed (ReadOnly, 0xFED00000, 0x00000400,)
                    })
                }

                /* Motherboard resources no other device claims: the PIIX4 PM and GPE blocks,
                 * the APM control/status ports, port 0x92 (fast A20 / reset). */
                Device (SYSR)
                {
                    Name (_HID, EisaId ("PNP0C02"))
                    Name (_UID, One)
                    Name (_CRS, ResourceTemplate ()
                    {
                        IO (Decode16, 0x0600, 0x0600, 0x01, 0x40,)
                        IO (Decode16, 0xAFE0, 0xAFE0, 0x01, 0x04,)
                        IO (Decode16, 0x00B2, 0x00B2, 0x01, 0x02,)
                        IO (Decode16, 0x0092, 0x0092, 0x01, 0x01,)
                    })
                }
            }
        }
    }
}
