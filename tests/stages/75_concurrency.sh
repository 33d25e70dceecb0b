#!/usr/bin/env bash
# bench/concurrency.sh at reduced scale: 8 sessions per client login (16 in all) for 20 s
# on a 200-patient sample, while a second dataset loads and rules change with a refresh.
exec bash "$UHC_REPO/bench/concurrency.sh" 8 20 200
