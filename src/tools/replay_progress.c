/*
 * replay_progress.c - see replay_progress.h.
 */
#include <inttypes.h>
#include <unistd.h>

#include "replay_progress.h"
#include "timeutil.h"

#define LR_RP_REDRAW_MS 200

void lr_rp_progress_init(lr_rp_progress_t *p, FILE *fp) {
        p->fp         = fp && isatty(fileno(fp)) ? fp : NULL;
        p->started_ms = lr_mono_ms();
        p->drawn_ms   = p->started_ms - LR_RP_REDRAW_MS;
        p->drawn      = 0;
}

void lr_rp_progress_update(lr_rp_progress_t *p, int64_t events,
                           int64_t event_time, double fraction) {
        int64_t now   = lr_mono_ms(), elapsed;
        char when[32] = "-", eta[32] = "-";
        double rate;

        if (!p->fp || now - p->drawn_ms < LR_RP_REDRAW_MS)
                return;
        p->drawn_ms = now;
        elapsed     = now - p->started_ms;
        rate = elapsed > 0 ? (double)events * 1000.0 / (double)elapsed : 0;
        if (event_time != INT64_MIN) {
                lr_iso8601(event_time, when, sizeof(when));
                when[16] = '\0'; /* YYYY-MM-DDTHH:MM */
        }
        if (fraction > 0.001 && fraction < 1) {
                int64_t left = (int64_t)((double)elapsed * (1 - fraction) /
                                         fraction / 1000.0);
                snprintf(eta, sizeof(eta), "%" PRId64 ":%02d", left / 60,
                         (int)(left % 60));
        }
        fprintf(p->fp,
                "\r\033[Kreplay: %" PRId64 " events  %.0f events/s  at %s  "
                "%.0f%%  ETA %s",
                events, rate, when, 100.0 * fraction, eta);
        fflush(p->fp);
        p->drawn = 1;
}

void lr_rp_progress_done(lr_rp_progress_t *p) {
        if (p->fp && p->drawn) {
                fputs("\r\033[K", p->fp);
                fflush(p->fp);
        }
        p->drawn = 0;
}
