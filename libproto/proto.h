/*
 * proto.h - libproto: the IOSignal codecs shared by iosd, iosctl, iostui
 * and the tests, and the control socket's vocabulary (ctlmsg). No I/O
 * and no global mutable state: every function works on its arguments
 * and on constant tables, so any number of threads or connections can
 * use it at once. Most functions work in caller-given memory. Some
 * allocate from the heap, always into something the caller owns and
 * releases: the CongSocket decoder grows its own buffer (cong.c,
 * cong_decoder_free), and MBP meta is parsed and built with jansson
 * (mbp.c); ctlmsg reads jansson values it is given. An allocation that
 * fails is reported (PROTO_ENOMEM, or a failure of the call), never an
 * exit.
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
#include "ctlmsg.h"

#endif
