/* QEMU key names and numbers to evdev codes (see qcode.h). */
#include "control/qcode.h"

#include <string.h>

struct qcode {
    const char *name;
    unsigned short code;
};

/* Everything but the letters, which follow the keyboard rows below. */
static const struct qcode named[] = {
    {"esc", 1}, {"1", 2}, {"2", 3}, {"3", 4}, {"4", 5}, {"5", 6}, {"6", 7}, {"7", 8},
    {"8", 9}, {"9", 10}, {"0", 11}, {"minus", 12}, {"equal", 13}, {"backspace", 14},
    {"tab", 15}, {"bracket_left", 26}, {"bracket_right", 27}, {"ret", 28}, {"ctrl", 29},
    {"semicolon", 39}, {"apostrophe", 40}, {"grave_accent", 41}, {"shift", 42},
    {"backslash", 43}, {"comma", 51}, {"dot", 52}, {"slash", 53}, {"shift_r", 54},
    {"kp_multiply", 55}, {"asterisk", 55}, {"alt", 56}, {"spc", 57}, {"caps_lock", 58},
    {"f1", 59}, {"f2", 60}, {"f3", 61}, {"f4", 62}, {"f5", 63}, {"f6", 64}, {"f7", 65},
    {"f8", 66}, {"f9", 67}, {"f10", 68}, {"num_lock", 69}, {"scroll_lock", 70},
    {"kp_7", 71}, {"kp_8", 72}, {"kp_9", 73}, {"kp_subtract", 74}, {"kp_4", 75},
    {"kp_5", 76}, {"kp_6", 77}, {"kp_add", 78}, {"kp_1", 79}, {"kp_2", 80}, {"kp_3", 81},
    {"kp_0", 82}, {"kp_decimal", 83}, {"less", 86}, {"f11", 87}, {"f12", 88},
    {"ro", 89}, {"kp_enter", 96}, {"ctrl_r", 97}, {"kp_divide", 98}, {"sysrq", 99},
    {"print", 99}, {"alt_r", 100}, {"home", 102}, {"up", 103}, {"pgup", 104},
    {"left", 105}, {"right", 106}, {"end", 107}, {"down", 108}, {"pgdn", 109},
    {"insert", 110}, {"delete", 111}, {"audiomute", 113}, {"volumedown", 114},
    {"volumeup", 115}, {"power", 116}, {"kp_equals", 117}, {"pause", 119},
    {"kp_comma", 121}, {"yen", 124}, {"meta_l", 125}, {"meta_r", 126}, {"menu", 127},
    {"compose", 127}, {"stop", 128}, {"again", 129}, {"props", 130}, {"undo", 131},
    {"front", 132}, {"copy", 133}, {"open", 134}, {"paste", 135}, {"find", 136},
    {"cut", 137}, {"help", 138}, {"sleep", 142}, {"wake", 143}, {"mail", 155},
    {"ac_bookmarks", 156}, {"computer", 157}, {"ac_back", 158}, {"ac_forward", 159},
    {"mediaselect", 226}, {"calculator", 140}, {"ac_home", 172}, {"ac_refresh", 173},
    {"ac_search", 217}, {"ac_stop", 128}, {"f13", 183}, {"f14", 184}, {"f15", 185},
    {"f16", 186}, {"f17", 187}, {"f18", 188}, {"f19", 189}, {"f20", 190}, {"f21", 191},
    {"f22", 192}, {"f23", 193}, {"f24", 194}, {"henkan", 92}, {"muhenkan", 94},
    {"katakanahiragana", 93}, {"hiragana", 91}, {"lang1", 122}, {"lang2", 123},
};

/* Letters by their evdev rows: the codes run left to right along each row. */
static const struct {
    const char *row;
    unsigned short first;
} letter_rows[] = {{"qwertyuiop", 16}, {"asdfghjkl", 30}, {"zxcvbnm", 44}};

int qcode_to_evdev(const char *name)
{
    if (!name)
        return -1;
    if (name[0] >= 'a' && name[0] <= 'z' && name[1] == '\0') {
        for (unsigned r = 0; r < sizeof(letter_rows) / sizeof(letter_rows[0]); r++) {
            const char *at = strchr(letter_rows[r].row, name[0]);
            if (at)
                return letter_rows[r].first + (int)(at - letter_rows[r].row);
        }
    }
    for (unsigned i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (!strcmp(named[i].name, name))
            return named[i].code;
    return -1;
}

/* The 0xe0-prefixed keys (number 0x80 + second byte) that have an evdev code. */
static const struct {
    unsigned char number;
    unsigned short code;
} extended[] = {
    {0x9c, 96}, {0x9d, 97}, {0xb5, 98}, {0xb7, 99}, {0xb8, 100}, {0xc6, 119}, {0xc7, 102},
    {0xc8, 103}, {0xc9, 104}, {0xcb, 105}, {0xcd, 106}, {0xcf, 107}, {0xd0, 108},
    {0xd1, 109}, {0xd2, 110}, {0xd3, 111}, {0xdb, 125}, {0xdc, 126}, {0xdd, 127},
    {0xa0, 113}, {0xae, 114}, {0xb0, 115}, {0xde, 116},
};

int qnum_to_evdev(long number)
{
    /* Set-1 scancodes 1..0x58 are the evdev codes themselves (Linux took them over). */
    if (number >= 1 && number <= 0x58)
        return (int)number;
    for (unsigned i = 0; i < sizeof(extended) / sizeof(extended[0]); i++)
        if (extended[i].number == number)
            return extended[i].code;
    return -1;
}
