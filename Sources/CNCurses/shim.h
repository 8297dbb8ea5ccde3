// A thin shim over ncursesw: macros and globals that Swift 6 cannot use directly
// (stdscr, COLORS, COLOR_PAIRS, A_* attributes, COLOR_PAIR, getmaxx/getmaxy).
#ifndef MESHTOP_CNCURSES_SHIM_H
#define MESHTOP_CNCURSES_SHIM_H
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <ncursesw/curses.h>

static inline int meshtop_colors(void) { return COLORS; }
static inline int meshtop_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t meshtop_a_bold(void) { return A_BOLD; }
static inline attr_t meshtop_a_reverse(void) { return A_REVERSE; }
static inline attr_t meshtop_a_underline(void) { return A_UNDERLINE; }
static inline attr_t meshtop_a_normal(void) { return A_NORMAL; }
static inline int meshtop_max_y(WINDOW *window) { return getmaxy(window); }
static inline int meshtop_max_x(WINDOW *window) { return getmaxx(window); }
static inline int meshtop_key_code_yes(void) { return KEY_CODE_YES; }
static inline int meshtop_err(void) { return ERR; }
static inline int meshtop_key_resize(void) { return KEY_RESIZE; }
static inline int meshtop_key_mouse(void) { return KEY_MOUSE; }
static inline mmask_t meshtop_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
/// Draws a UTF-8 string with attributes and a colour pair at (y, x).
static inline int meshtop_put(WINDOW *window, int y, int x, const char *text, attr_t attributes, int pair) {
    wattr_set(window, attributes, (short)pair, NULL);
    return mvwaddstr(window, y, x, text);
}
/// Whether the locale's codeset is UTF-8 (else the console uses ASCII glyphs).
static inline int meshtop_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (codeset[0] == 'U' || codeset[0] == 'u') && (codeset[1] == 'T' || codeset[1] == 't');
}
#endif
