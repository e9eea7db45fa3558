from tests.conftest import login_as


def test_study_quiz_earns_points(client, db, world):
    login_as(client, "ent-330102-key")
    r = client.post("/portal/study", data={"q0": "0", "q1": "1", "q2": "2"})
    assert "获得 10 分" in r.text and ">10<" in r.text
    r = client.post("/portal/study", data={"q0": "1", "q1": "1", "q2": "2"})
    assert "答错" in r.text and ">10<" in r.text
