from tests.conftest import login_as


def test_study_quiz_earns_each_question_once(client, db, world):
    login_as(client, "ent-330102-key")
    r = client.post("/portal/study", data={"q0": "1", "q1": "1", "q2": "2"})     # q0 wrong: 2 right
    assert "答错" in r.text and ">20<" in r.text
    r = client.post("/portal/study", data={"q0": "0", "q1": "1", "q2": "2", "q3": "1"})
    assert "全部答对" in r.text and ">40<" in r.text          # only q0 and q3 are new: +20
    r = client.post("/portal/study", data={"q0": "0", "q1": "1", "q2": "2", "q3": "1"})
    assert ">40<" in r.text                                   # answering again earns nothing
