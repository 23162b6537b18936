import csv
import io

import pytest

from civic.opendata import LICENCE, csv_response, csv_text, safe_cell


@pytest.mark.parametrize("hostile", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_no_cell_begins_with_a_formula_character(hostile):
    text = csv_text(["name"], [{"name": hostile}])
    [row] = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert row[0] == "'" + hostile


def test_ordinary_values_are_left_alone():
    assert safe_cell("Parc des Prés") == "Parc des Prés"
    assert safe_cell(-3) == -3  # numbers are numbers, not text


def test_a_csv_response_is_streamed_with_its_licence():
    response = csv_response(filename="x.csv", fields=["a", "b"], rows=iter([{"a": 1, "b": "=x"}]))
    body = b"".join(response.streaming_content).decode()
    assert response["X-Licence"] == LICENCE
    assert body.splitlines()[1:] == ["1,'=x"]
