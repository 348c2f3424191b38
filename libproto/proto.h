/*
 * proto.h - libproto: the IOSignal codecs shared by iosd, iosctl, iostui
 * and the tests. Pure functions over caller-given memory: no I/O and no
 * global mutable state.
 *
 * PROTO_VERSION names the wire protocol these codecs speak; bump it when
 * a codec's bytes change.
 */
#ifndef PROTO_H
#define PROTO_H

#define PROTO_VERSION		"iosignal-2.2.1"
#define PROTO_LIB_VERSION	"0.1.0"

#include "proto_err.h"
#include "utf8.h"
#include "cong.h"
#include "mbp.h"
#include "iosmsg.h"
#include "boho.h"
#include "tag.h"

#endif
