/*
 * drives.c — parsing of the disk options with QEMU's spelling (see drives.h):
 *   -drive file=F[,format=raw][,if=ide][,media=disk|cdrom][,readonly=on|off][,index=N]
 *   -hda/-hdb/-hdc/-hdd F (IDE index 0-3), -cdrom F (index 2, a CD-ROM), -snapshot,
 *   -boot [order=]LETTERS (kept for the firmware's boot order).
 * Only the raw format and the IDE interface exist; other values are refused by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "frontends/drives.h"

static int add_drive(VmConfig *cfg, int index, const VmDrive *d, char *err, size_t errlen)
{
    if (index < 0) {
        for (index = 0; index < VM_MAX_DRIVES && cfg->drive[index].present; index++)
            ;
        if (index == VM_MAX_DRIVES) {
            snprintf(err, errlen, "too many IDE drives (at most %d)", VM_MAX_DRIVES);
            return -1;
        }
    }
    if (index >= VM_MAX_DRIVES) {
        snprintf(err, errlen, "drive index %d out of range (IDE has indexes 0-3)", index);
        return -1;
    }
    if (cfg->drive[index].present) {
        snprintf(err, errlen, "IDE drive index %d given twice", index);
        return -1;
    }
    cfg->drive[index] = *d;
    cfg->drive[index].present = true;
    return 0;
}

static int on_off(const char *v, bool *out)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* -drive KEY=VALUE,...  (a value cannot contain a comma: QEMU's ",," escape is not supported).
 * The argument is split in place (argv strings are the program's to modify), so that file=
 * points into argv, which outlives cfg. */
static int parse_drive(VmConfig *cfg, char *buf, char *err, size_t errlen)
{
    VmDrive d = { 0 };
    int index = -1;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "bad -drive item '%s' (expected KEY=VALUE)", tok);
            return -1;
        }
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        if (!strcmp(k, "file")) {
            d.file = v;
        } else if (!strcmp(k, "format")) {
            if (strcmp(v, "raw")) {
                snprintf(err, errlen, "-drive format=%s is not supported: only raw images "
                         "(convert with qemu-img convert -O raw)", v);
                return -1;
            }
        } else if (!strcmp(k, "if")) {
            if (strcmp(v, "ide")) {
                snprintf(err, errlen, "-drive if=%s is not supported (only if=ide)", v);
                return -1;
            }
        } else if (!strcmp(k, "media")) {
            if (strcmp(v, "disk") && strcmp(v, "cdrom")) {
                snprintf(err, errlen, "bad -drive media=%s (use disk or cdrom)", v);
                return -1;
            }
            d.cdrom = !strcmp(v, "cdrom");
        } else if (!strcmp(k, "readonly")) {
            if (on_off(v, &d.readonly) < 0) {
                snprintf(err, errlen, "bad -drive readonly=%s (use on or off)", v);
                return -1;
            }
        } else if (!strcmp(k, "index")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 0 || n > 1000) {
                snprintf(err, errlen, "bad -drive index=%s", v);
                return -1;
            }
            index = (int)n;
        } else {
            snprintf(err, errlen, "unknown -drive option '%s' (known: file, format, if, media, readonly, index)", k);
            return -1;
        }
    }
    if (!d.file && !d.cdrom) {
        snprintf(err, errlen, "-drive needs file=IMAGE (only a CD-ROM drive may be empty)");
        return -1;
    }
    return add_drive(cfg, index, &d, err, errlen);
}

static int parse_boot(VmConfig *cfg, const char *v, char *err, size_t errlen)
{
    const char *order = strncmp(v, "order=", 6) ? v : v + 6;
    if (!*order || strchr(order, ',') || strchr(order, '=')) {
        snprintf(err, errlen, "bad -boot '%s' (use -boot order=LETTERS, e.g. order=cd)", v);
        return -1;
    }
    /* QEMU's pc machine: at most three devices, each a/b floppy, c disk, d CD-ROM, n network
     * (they become the CMOS boot-order nibbles, devices/mc146818.c) */
    if (strlen(order) > 3) {
        snprintf(err, errlen, "bad -boot order '%s' (at most 3 boot devices on a PC)", order);
        return -1;
    }
    for (const char *p = order; *p; p++)
        if (!strchr("abcdn", *p)) {
            snprintf(err, errlen, "bad -boot order '%s' (letters a/b floppy, c disk, d CD-ROM, n network)", order);
            return -1;
        }
    cfg->boot_order = order;
    return 0;
}

int drives_option(VmConfig *cfg, int argc, char **argv, int i, char *err, size_t errlen)
{
    const char *a = argv[i];
    if (a[0] == '-' && a[1] == '-' && a[2])
        a++;
    if (!strcmp(a, "-snapshot")) {
        cfg->snapshot = true;
        return 1;
    }
    static const char *const hd[] = { "-hda", "-hdb", "-hdc", "-hdd" };
    int hd_index = -1;
    for (int k = 0; k < 4; k++)
        if (!strcmp(a, hd[k]))
            hd_index = k;
    if (hd_index < 0 && strcmp(a, "-cdrom") && strcmp(a, "-drive") && strcmp(a, "-boot"))
        return 0;
    if (i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs an argument (see softvisor --help)", a);
        return -1;
    }
    const char *v = argv[i + 1];
    int r;
    if (hd_index >= 0)
        r = add_drive(cfg, hd_index, &(VmDrive){ .file = v }, err, errlen);
    else if (!strcmp(a, "-cdrom"))
        r = add_drive(cfg, 2, &(VmDrive){ .file = v, .cdrom = true, .readonly = true }, err, errlen);
    else if (!strcmp(a, "-drive"))
        r = parse_drive(cfg, argv[i + 1], err, errlen);
    else
        r = parse_boot(cfg, v, err, errlen);
    return r < 0 ? -1 : 2;
}
