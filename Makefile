# Makefile for the uhc_reporting PostgreSQL extension (PGXS).
#
#   make && make install        build and install into the PostgreSQL that PG_CONFIG names
#   make demo                   the end-to-end job on a throwaway cluster (installs packages)
#   make test                   every test: unit, pg_regress, real data (installs packages)
#
# demo and test work before PostgreSQL's development files exist, because the scripts
# they call install them first. That is why PGXS is included only when pg_config exists.

# The control file lives in control/, so it is installed through DATA and EXTENSION
# (which would look for it at the top level) is not set.
EXT_NAME   = uhc_reporting
EXTVERSION = 0.2.0

MODULE_big = uhc_reporting
CORE_SRCS  = $(sort $(wildcard src/core/*.cpp))
GLUE_SRCS  = $(sort $(wildcard src/pg/*.cpp))
OBJS       = $(CORE_SRCS:.cpp=.o) $(GLUE_SRCS:.cpp=.o)
PGFILEDESC = "uhc_reporting - pseudonymized payer reporting"

# Release 0.1.0's install script is frozen in control/ and never edited: it was assembled
# from the pieces in src/sql/0.1.0/, one concept per file (roles, source tables, rules,
# views, security), and check-frozen verifies that both still agree. Each later version
# ships only an upgrade script, assembled the same way from src/sql/<version>/, so a
# fresh install runs 0.1.0 and then every upgrade in turn.
FROZEN_PIECES = $(sort $(wildcard src/sql/0.1.0/*.sql))
DATA       = control/$(EXT_NAME).control control/$(EXT_NAME)--0.1.0.sql
UPGRADE_PIECES = $(sort $(wildcard src/sql/$(EXTVERSION)/*.sql))
DATA_built = $(EXT_NAME)--0.1.0--$(EXTVERSION).sql
MODULEDIR  = extension

REGRESS      = $(basename $(notdir $(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXT_NAME)

# -I goes in PG_CPPFLAGS, not PG_CXXFLAGS, because PGXS reads only CPPFLAGS for every
# compile rule. C++17 rejects the "register" keyword that PostgreSQL 15 headers still use.
PG_CPPFLAGS = -I$(CURDIR)/src
PG_CXXFLAGS = -std=c++17 -Wno-register -fvisibility=hidden -Wall -Wextra
# PGXS links with gcc, which does not add the C++ runtime by itself. The crypto library
# is the one the server was built with (OpenSSL on Debian).
SHLIB_LINK  = -lcrypto -lstdc++ -Wl,--version-script=$(CURDIR)/src/pg/exports.map

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

ifneq ($(shell command -v $(PG_CONFIG) 2>/dev/null),)
# Debian's server is built with LLVM, so PGXS would also compile every .cpp file to
# bitcode with clang for JIT inlining. The native functions here are short calls into
# compiled cores that JIT inlining would not speed up, so bitcode is turned off on
# purpose, which also removes the need for a clang that matches the server's LLVM.
override with_llvm = no
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

PG_MAJOR := $(shell $(PG_CONFIG) --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
ifneq ($(PG_MAJOR),15)
$(warning uhc_reporting is developed and tested on PostgreSQL 15, not $(PG_MAJOR))
endif
endif

$(EXT_NAME)--0.1.0--$(EXTVERSION).sql: $(UPGRADE_PIECES)
	cat $^ > $@

.PHONY: demo test unit check-frozen fuzz
check-frozen:
	cat $(FROZEN_PIECES) | cmp -s - control/$(EXT_NAME)--0.1.0.sql || \
	  { echo "src/sql/0.1.0/ no longer matches the frozen control/$(EXT_NAME)--0.1.0.sql" >&2; exit 1; }

demo:
	bash tools/demo.sh

test:
	bash tests/run-all.sh

# GoogleTest unit tests of the pure C++ cores, without PostgreSQL.
unit:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j2
	cd build && ctest --output-on-failure

# libFuzzer targets of the C++ cores, built with clang-14 into build-fuzz/. Run one with
# fuzz/run.sh TARGET SECONDS (docs/operations.md).
fuzz:
	bash fuzz/build.sh
