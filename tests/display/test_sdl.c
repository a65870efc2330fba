/*
 * test_sdl.c — the SDL window (frontends/sdl.c) on SDL's offscreen video driver (dummy when
 * offscreen is missing): it opens, shows the VGA, a key typed into it reaches the guest through
 * vm/input.c and the i8042 (tests/guest/kbd-echo.asm echoes it on port 0xE9), the first close
 * presses the power button and the second quits.  Also the host-key tables (frontends/keymap.c).
 * usage: test_sdl KBD_ECHO_ROM
 */
#include <SDL.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "frontends/keymap.h"
#include "frontends/sdl.h"
#include "sdl_inject.h"

static void read_all(FILE *f, char *buf, size_t n)
{
    fflush(f);
    rewind(f);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
}

/* The kbd-echo guest's VM (port 0xE9 into con) with its window open. */
static Vm *vm_with_window(FILE *con, SdlDisplay **d)
{
    sdl_inject_headless();
    char err[256];
    VmConfig cfg = { .ram_size = 2u << 20, .bios = getenv("TEST_SDL_ROM"), .debugcon = con };
    Vm *vm = vm_new(&cfg, err, sizeof(err));
    ck_assert_msg(vm != NULL, "vm_new: %s", err);
    *d = sdl_open(vm, "test", err, sizeof(err));
    ck_assert_msg(*d != NULL, "sdl_open: %s", err);
    return vm;
}

START_TEST(sdl_key_typed_reaches_guest)
{
    char log[512];
    FILE *con = tmpfile();
    ck_assert_ptr_nonnull(con);
    SdlDisplay *d;
    Vm *vm = vm_with_window(con, &d);
    Pace pace;
    pace_init(&pace, false, NULL, NULL);
    ck_assert_int_eq(vm_run(vm, 100000), VM_EXIT_INSN_LIMIT);
    read_all(con, log, sizeof(log));
    ck_assert_str_eq(log, "kbd-echo: ready\n");
    ck_assert_int_eq(sdl_frame(d, vm, &pace), 0);      /* nothing typed yet */
    ck_assert_int_eq(vm_run(vm, 100000), VM_EXIT_INSN_LIMIT);
    ck_assert_int_eq(sdl_inject_key(SDL_SCANCODE_A, true), 0);
    ck_assert_int_eq(sdl_inject_key(SDL_SCANCODE_A, false), 0);
    ck_assert_int_eq(sdl_frame(d, vm, &pace), 0);
    ck_assert_int_eq(vm_run(vm, 1000000), VM_EXIT_DEBUG_EXIT);
    read_all(con, log, sizeof(log));
    /* set 2 1C, F0 1C through the controller's translation: set 1 1E, 9E */
    ck_assert_str_eq(log, "kbd-echo: ready\n1e 9e \nkbd-echo: PASS\n");
    sdl_close(d);
    vm_free(vm);
    fclose(con);
}
END_TEST

START_TEST(sdl_close_twice_presses_power_then_quits)
{
    SdlDisplay *d;
    Vm *vm = vm_with_window(NULL, &d);
    Pace pace;
    pace_init(&pace, false, NULL, NULL);
    SDL_Event ev = { .type = SDL_QUIT };
    SDL_PushEvent(&ev);
    ck_assert_int_eq(sdl_frame(d, vm, &pace), 0);
    SDL_PushEvent(&ev);
    ck_assert_int_eq(sdl_frame(d, vm, &pace), 1);
    sdl_close(d);
    vm_free(vm);
}
END_TEST

START_TEST(keymap_extended_key_has_e0_prefix)
{
    uint8_t b[8];
    ck_assert_int_eq(keymap_set2(0x52, true, b), 2);         /* Up: E0 75 */
    ck_assert_int_eq(b[0], 0xe0);
    ck_assert_int_eq(b[1], 0x75);
    ck_assert_int_eq(keymap_set2(0x52, false, b), 3);        /* E0 F0 75 */
    ck_assert_int_eq(b[1], 0xf0);
    ck_assert_int_eq(keymap_set2(0x04, false, b), 2);        /* A up: F0 1C */
    ck_assert_int_eq(b[1], 0x1c);
    ck_assert_int_eq(keymap_set2(0x3000, true, b), 0);
}
END_TEST

START_TEST(keymap_shifted_ascii_wraps_in_shift)
{
    uint8_t b[32];
    ck_assert_int_eq(keymap_ascii_set2('A', b), 6);          /* 12, 1C, F0 1C, F0 12 */
    const uint8_t want[6] = { 0x12, 0x1c, 0xf0, 0x1c, 0xf0, 0x12 };
    ck_assert_mem_eq(b, want, 6);
    ck_assert_int_eq(keymap_ascii_set2(0x80, b), 0);
}
END_TEST

START_TEST(keymap_ascii_usage_shifted_needs_shift)
{
    ck_assert_int_eq(keymap_ascii_usage('4'), 0x21);                  /* the 4 key */
    ck_assert_int_eq(keymap_ascii_usage('$'), KEYMAP_SHIFT | 0x21);   /* Shift + 4 */
    ck_assert_int_eq(keymap_ascii_usage('\n'), 0x28);                 /* Enter */
    ck_assert_int_eq(keymap_ascii_usage(0x80), -1);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_sdl KBD_ECHO_ROM\n");
        return 2;
    }
    setenv("TEST_SDL_ROM", argv[1], 1);
    Suite *s = suite_create("sdl");
    TCase *tc = tcase_create("sdl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sdl_key_typed_reaches_guest);
    tcase_add_test(tc, sdl_close_twice_presses_power_then_quits);
    tcase_add_test(tc, keymap_extended_key_has_e0_prefix);
    tcase_add_test(tc, keymap_shifted_ascii_wraps_in_shift);
    tcase_add_test(tc, keymap_ascii_usage_shifted_needs_shift);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
