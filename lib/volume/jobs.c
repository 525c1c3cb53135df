/*
 * jobs.c - what a client does for the volume while it has it open: keep
 * a session, and take its turn at JuiceFS's periodic clean-ups.
 *
 * A read-write JuiceFS client registers a session (sessions +
 * sessionInfos), refreshes it every 12 s, and removes other clients'
 * sessions that stopped refreshing (a crashed mount's sustained inodes
 * and locks go with them).  The clean-ups are shared by every client of
 * the volume: whoever wins the setIfSmall race on a shared timestamp runs
 * one, so each runs about once a period whichever clients are up.  jfsd's
 * heartbeat thread calls these; a `jfsadm gc` will call volume_run_jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "volume/volume.h"

/* SessionInfo JSON as JuiceFS stores it in `sessionInfos`. */
static char *session_info(void)
{
	char host[256] = "", stamp[64];
	struct json_object *o;
	struct timespec ts;
	struct tm tm;
	char *s;

	gethostname(host, sizeof(host) - 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_object_new_object();
	json_object_object_add(o, "Version",
			       json_object_new_string(SETTING_CLIENT_VERSION "+jfs"));
	json_object_object_add(o, "HostName", json_object_new_string(host));
	json_object_object_add(o, "MountPoint", json_object_new_string(""));
	json_object_object_add(o, "MountTime", json_object_new_string(stamp));
	json_object_object_add(o, "ProcessID", json_object_new_int(getpid()));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int volume_new_session(struct volume *v)
{
	char *info = session_info();
	uint64_t sid;
	int ret;

	if (!info)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	ret = meta_new_session(v->meta, info, &sid);
	free(info);
	if (ret)
		return ret;
	v->meta->sid = sid;
	return 0;
}

int volume_heartbeat(struct volume *v)
{
	char *info = session_info();
	int ret;

	if (!info)
		return jfs_fail("volume", -ENOMEM, "out of memory");
	ret = meta_refresh_session(v->meta, v->meta->sid, info);
	free(info);
	if (!ret)
		meta_cleanup_stale_sessions(v->meta);
	return ret;
}

int volume_close_session(struct volume *v)
{
	uint64_t sid = v->meta->sid;

	v->meta->sid = 0;
	return sid ? meta_close_session(v->meta, sid) : 0;
}

/* Takes this job's turn if it is this client's; false: another client's. */
static bool my_turn(struct volume *v, const char *stamp, int64_t now, int64_t period,
		    struct volume_job *j)
{
	bool won = false;

	j->err = meta_set_if_small(v->meta, stamp, now, period * 9 / 10, &won);
	if (j->err)
		snprintf(j->msg, sizeof(j->msg), "%s", jfs_errmsg());
	j->ran = !j->err && won;
	return j->ran;
}

static void done(struct volume_job *j, int err)
{
	j->err = err;
	if (err)
		snprintf(j->msg, sizeof(j->msg), "%s", jfs_errmsg());
}

int volume_run_jobs(struct volume *v, int64_t now, int64_t period,
		    struct volume_job jobs[VOLUME_NJOBS])
{
	static const struct { const char *what, *unit; } names[VOLUME_NJOBS] = {
		[VOLUME_JOB_TRASH] = { "trash cleanup", "expired trash entries deleted" },
		[VOLUME_JOB_DELAYED_SLICES] = { "delayed-slice cleanup", "delayed slices freed" },
		[VOLUME_JOB_DELETED_FILES] = { "deleted-file cleanup",
					       "deleted files' data freed" },
		[VOLUME_JOB_SLICES] = { "slice cleanup", "unreferenced slices deleted" },
	};
	struct meta *m = v->meta;
	int64_t days = m->trash_days;
	int i;

	memset(jobs, 0, VOLUME_NJOBS * sizeof(*jobs));
	for (i = 0; i < VOLUME_NJOBS; i++) {
		jobs[i].what = names[i].what;
		jobs[i].unit = names[i].unit;
	}
	/* the trash's two jobs share one turn, as in JuiceFS */
	if (days > 0 && my_turn(v, "lastCleanupTrash", now, period, &jobs[VOLUME_JOB_TRASH])) {
		done(&jobs[VOLUME_JOB_TRASH],
		     meta_cleanup_trash(m, now - (24 * days + 2) * 3600,
					&jobs[VOLUME_JOB_TRASH].n));
		jobs[VOLUME_JOB_DELAYED_SLICES].ran = true;
		done(&jobs[VOLUME_JOB_DELAYED_SLICES],
		     meta_cleanup_delayed_slices(m, now - days * 86400,
						 &jobs[VOLUME_JOB_DELAYED_SLICES].n));
	}
	if (my_turn(v, "lastCleanupFiles", now, period, &jobs[VOLUME_JOB_DELETED_FILES]))
		done(&jobs[VOLUME_JOB_DELETED_FILES],
		     meta_cleanup_deleted_files(m, now - 3600, &jobs[VOLUME_JOB_DELETED_FILES].n));
	if (my_turn(v, "nextCleanupSlices", now, period, &jobs[VOLUME_JOB_SLICES]))
		done(&jobs[VOLUME_JOB_SLICES],
		     meta_cleanup_slices(m, &jobs[VOLUME_JOB_SLICES].n));
	for (i = 0; i < VOLUME_NJOBS; i++)
		if (jobs[i].err)
			return jfs_fail("volume", jobs[i].err, "%s: %s", jobs[i].what, jobs[i].msg);
	return 0;
}
