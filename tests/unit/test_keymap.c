/*
 * test_keymap.c — QEMU's sendkey key names to PS/2 scan code set 2 (frontends/keymap.c
 * keymap_sendkey_set2, behind -sendkey-at).  Set 2 codes from the IBM PS/2 keyboard technical
 * reference: a make code, F0 before the last byte of a break, E0 before an extended key's bytes;
 * the keys of a combination go down in order and come up in reverse, as QEMU's sendkey does.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/keymap.h"

static int sendkey(const char *keys, uint8_t *out)
{
    char err[256] = "";
    return keymap_sendkey_set2(keys, out, err, sizeof(err));
}

START_TEST(sendkey_ret_press_then_release)
{
    uint8_t b[KEYMAP_SENDKEY_BYTES];
    static const uint8_t want[] = { 0x5a, 0xf0, 0x5a };
    ck_assert_int_eq(sendkey("ret", b), 3);
    ck_assert_mem_eq(b, want, sizeof(want));
}
END_TEST

START_TEST(sendkey_ctrl_alt_delete_released_in_reverse)
{
    uint8_t b[KEYMAP_SENDKEY_BYTES];
    /* LCtrl 14, LAlt 11, Delete E0 71 (extended) */
    static const uint8_t want[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14 };
    ck_assert_int_eq(sendkey("ctrl-alt-delete", b), (int)sizeof(want));
    ck_assert_mem_eq(b, want, sizeof(want));
}
END_TEST

START_TEST(sendkey_letters_digits_function_keys_map)
{
    uint8_t b[KEYMAP_SENDKEY_BYTES];
    ck_assert_int_eq(sendkey("a", b), 3);
    ck_assert_int_eq(b[0], 0x1c);
    ck_assert_int_eq(sendkey("0", b), 3);
    ck_assert_int_eq(b[0], 0x45);
    ck_assert_int_eq(sendkey("f1", b), 3);
    ck_assert_int_eq(b[0], 0x05);
    ck_assert_int_eq(sendkey("spc", b), 3);
    ck_assert_int_eq(b[0], 0x29);
    ck_assert_int_eq(sendkey("kp_enter", b), 5);   /* E0 5A, E0 F0 5A */
    ck_assert_int_eq(b[1], 0x5a);
}
END_TEST

START_TEST(sendkey_bad_names_refused_with_message)
{
    uint8_t b[KEYMAP_SENDKEY_BYTES];
    char err[256] = "";
    ck_assert_int_eq(keymap_sendkey_set2("ctrl-enter", b, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "'enter'"));
    ck_assert_int_eq(sendkey("", b), -1);
    ck_assert_int_eq(sendkey("ctrl-", b), -1);
    ck_assert_int_eq(sendkey("print", b), -1);   /* no set 2 mapping here: refused, not dropped */
}
END_TEST

START_TEST(sendkey_too_many_keys_refused)
{
    uint8_t b[KEYMAP_SENDKEY_BYTES];
    /* 16 extended keys fill the buffer exactly; a 17th key is refused */
    ck_assert_int_eq(sendkey("up-up-up-up-up-up-up-up-up-up-up-up-up-up-up-up", b), KEYMAP_SENDKEY_BYTES - 16);
    ck_assert_int_eq(sendkey("a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a", b), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keymap");
    TCase *tc = tcase_create("sendkey");
    tcase_add_test(tc, sendkey_ret_press_then_release);
    tcase_add_test(tc, sendkey_ctrl_alt_delete_released_in_reverse);
    tcase_add_test(tc, sendkey_letters_digits_function_keys_map);
    tcase_add_test(tc, sendkey_bad_names_refused_with_message);
    tcase_add_test(tc, sendkey_too_many_keys_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
