use std::io::Write;

use omega_classifier::{ClassifierError, Target, labelled, read_labelled_csv};

const CSV: &str = "text,category,priority\n\
\"laptop, screen cracked\nsent from phone\",Hardware,high\n\
\"password \"\"reset\"\" please\",Access,\n";

#[test]
fn reads_plain_and_gzipped_csv() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("t.csv");
    std::fs::write(&plain, CSV).unwrap();
    let gz = dir.path().join("t.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(CSV.as_bytes()).unwrap();
    enc.finish().unwrap();
    for path in [&plain, &gz] {
        let rows = read_labelled_csv(path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "laptop, screen cracked\nsent from phone");
        assert_eq!(rows[1].text, "password \"reset\" please");
        assert_eq!(rows[0].priority.as_deref(), Some("high"));
        assert_eq!(labelled(&rows, Target::Priority).len(), 1);
    }
}

#[test]
fn errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(
        &path,
        "text,category\nok,Hardware\n\"open quote, never closed\nmore,Access\nx,\n",
    )
    .unwrap();
    let err = read_labelled_csv(&path).unwrap_err();
    match &err {
        ClassifierError::Csv { line, column, .. } => {
            assert!(*line >= 3, "{err}");
            assert!(!column.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("bad.csv"), "{err}");

    std::fs::write(&path, "body,category\nx,y\n").unwrap();
    let err = read_labelled_csv(&path).unwrap_err();
    assert!(err.to_string().contains("line 1, column `text`"), "{err}");

    assert!(matches!(
        read_labelled_csv(dir.path().join("nope.csv")),
        Err(ClassifierError::Io { .. })
    ));
    // Not gzip despite the name.
    let fake = dir.path().join("fake.csv.gz");
    std::fs::write(&fake, "text,category\n").unwrap();
    assert!(read_labelled_csv(&fake).is_err());
}
