/*
 * workhours.h - a rep's working hours (RepStatus.working_hours) compiled
 * into the week it describes, in the rep's local time.
 *
 * Grammar (case-insensitive, spaces free between tokens):
 *   hours    := "always" | "24/7" | segment (";" segment)*
 *   segment  := days ranges
 *   days     := day ["-" day] ("," day ["-" day])* | "daily" | "weekdays"
 *               | "weekends"        day := Mon Tue Wed Thu Fri Sat Sun
 *   ranges   := HH:MM "-" HH:MM ("," HH:MM "-" HH:MM)*
 * e.g. "Mon-Fri 09:00-17:30", "Mon-Thu 08:00-12:00,13:00-17:00; Fri
 * 08:00-12:00". An end of 24:00 is midnight; an end at or before the start
 * runs past midnight into the next day ("Fri 22:00-06:00" ends Saturday
 * 06:00; Sunday's runs into Monday). Start inclusive, end exclusive.
 *
 * The compiled form is what functions.lua checks a time against:
 * "s-e,s-e,..." minute-of-week intervals [s, e), Monday 00:00 = 0, sorted,
 * merged, within [0, 10080); "*" for always.
 */
#ifndef LR_WORKHOURS_H
#define LR_WORKHOURS_H

#include <stddef.h>

#define LR_WORKHOURS_WEEK (7 * 1440)

/* Compiles `spec` into out (size >= 64; an error if too small). 0, or -1
 * with errstr saying what is wrong. */
int lr_workhours_compile(const char *spec, char *out, size_t out_size,
                         char *errstr, size_t errstr_size);

#endif
