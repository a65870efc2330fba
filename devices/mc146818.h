/*
 * mc146818.h — the Motorola MC146818A real-time clock with its 128 bytes of CMOS RAM at ports
 * 0x70 (index; bit 7 disables NMI) and 0x71 (data), as on a PC/AT.
 *
 * The clock starts at a configured time and advances with virtual time only; IRQ 8 goes out
 * through `irq8`.  The CMOS memory-size bytes are filled in as a BIOS (and QEMU's pc machine)
 * leaves them, from the RAM layout the board passes.
 */
#ifndef SOFTVISOR_MC146818_H
#define SOFTVISOR_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "mem/io.h"
#include "vm/clock.h"

typedef struct RtcState RtcState;

/* `base` is the start time in seconds since 1970-01-01T00:00:00 UTC; `ram_low` bytes of RAM sit
 * below 4 GiB and `ram_high` bytes above it.  NULL when out of memory or clock events. */
RtcState *rtc_new(IoBus *bus, Clock *clock, IrqLine irq8, int64_t base, uint64_t ram_low, uint64_t ram_high);
/* The boot order for the firmware in CMOS bytes 0x3D/0x38, from QEMU's -boot letters: at most
 * three of a, b (floppy), c (disk), d (CD-ROM), n (network), already checked by the caller. */
void rtc_set_boot_order(RtcState *s, const char *order);
/* The RESET pin (a system reset): PIE, AIE, UIE, SQWE and the interrupt flags cleared, IRQ 8 low.
 * Time and CMOS memory survive, as on a battery-backed PC. */
void rtc_reset(RtcState *s);
/* Port 0x70 bit 7 as last written: the board's NMI mask. */
bool rtc_nmi_disabled(const RtcState *s);

/* Parses "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" (UTC, years 1970-9999) into seconds since 1970;
 * returns 0, or -1 when the text is not such a date or names a day or time that does not exist. */
int rtc_parse_time(const char *text, int64_t *secs);

/* State table (vm/state.h) */
struct StateDesc;
extern const struct StateDesc rtc_state_desc;

#endif
