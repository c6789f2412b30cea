#include "rn_events.h"

static const ct_event_desc events[] = {GB_EVENTS(CT_DESC) RN_EVENTS(CT_DESC)};
const ct_schema rn_schema = {"gb", GB_CLOCK_HZ, rn_ev_end, events};
