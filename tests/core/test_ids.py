"""Random ids: what uuid.uuid4() gives, and never the same in two processes."""

import os
import uuid

from posmodern.core.ids import new_uuid


def test_ids_are_random_version_4_uuids_never_repeated():
    ids = [new_uuid() for _ in range(5000)]  # several refills of the buffer
    assert len(set(ids)) == len(ids)
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)


def test_a_forked_process_does_not_hand_out_its_parents_ids():
    new_uuid()  # the buffer holds bytes now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, new_uuid().bytes)
        os._exit(0)
    os.close(write)
    from_child = uuid.UUID(bytes=os.read(read, 16), version=4)
    os.waitpid(child, 0)
    assert from_child != new_uuid()
