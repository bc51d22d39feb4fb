namespace FastVideo.Media;

/// <summary>
/// Writes one or more outputs all or nothing. Each output is staged under a temporary name on the same file system
/// (beside the target, or inside a PNG folder that already exists); <see cref="Commit"/> re-checks every target
/// against <see cref="OutputRules"/>, moves replaced files aside, renames the staged ones into place, and undoes
/// all of it when any step fails or cancellation was requested meanwhile. Disposing an uncommitted transaction
/// deletes what it staged and the parent folders it created. The undo is also registered with
/// <see cref="ProcessCleanup"/>, so a host that exits early (a second Ctrl+C, SIGTERM) leaves nothing behind.
/// </summary>
public sealed class OutputTransaction : IDisposable
{
    private readonly bool _overwrite;
    private readonly List<Staged> _staged = [];
    private readonly List<string> _createdDirs = [];   // outermost first
    private readonly object _lock = new();
    private IDisposable? _cleanup;
    private bool _done;

    public OutputTransaction(bool overwrite) => _overwrite = overwrite;

    private sealed record Staged(string Target, OutputFormat Format, string Temp, bool Merge, string Display)
    {
        public string? Backup { get; set; }            // a replaced file, moved aside
        public List<(string New, string? Old)> Moved { get; } = []; // merge: frames moved in, and their backups
        public List<(string Original, string Backup)> Stale { get; } = []; // merge: old frames moved aside
        public bool Placed { get; set; }
    }

    /// <summary>
    /// Checks <paramref name="path"/> (<see cref="OutputRules.Check"/>), creates its missing parent folders and
    /// returns where to write: a temporary file path, or for <see cref="OutputFormat.Png"/> a temporary folder
    /// (already created) to fill with frames.
    /// </summary>
    public string Stage(string path, OutputFormat format)
    {
        OutputRules.Check(path, format, _overwrite);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var dir = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            _cleanup ??= ProcessCleanup.Register(Rollback);
            CreateParents(dir);
            var tag = $"{Environment.ProcessId}.{Guid.NewGuid():N}";
            Staged staged;
            if (format == OutputFormat.Png)
            {
                bool merge = FileNode.Kind(full, followLinks: false) == FileNodeKind.Directory;
                var temp = merge ? Path.Combine(full, $".fastvideo.{tag}.partial") : Path.Combine(dir, $".{name}.{tag}.partial");
                staged = new Staged(full, format, temp, merge, path);
                _staged.Add(staged);
                Directory.CreateDirectory(temp);
            }
            else
            {
                staged = new Staged(full, format, Path.Combine(dir, $".{name}.{tag}.partial{Path.GetExtension(name)}"), false, path);
                _staged.Add(staged);
            }
            return staged.Temp;
        }
    }

    private void CreateParents(string dir)
    {
        var missing = new Stack<string>();
        for (var d = dir; d != null && FileNode.Kind(d) == FileNodeKind.Missing; d = Path.GetDirectoryName(d)) missing.Push(d);
        while (missing.TryPop(out var d))
        {
            Directory.CreateDirectory(d);
            _createdDirs.Add(d);
        }
    }

    /// <summary>
    /// Puts every staged output in place, or none: on any failure, or when <paramref name="cancel"/> was requested
    /// before the last rename finished, everything is undone and the exception (or
    /// <see cref="OperationCanceledException"/>) is thrown.
    /// </summary>
    public void Commit(CancellationToken cancel = default)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            try
            {
                cancel.ThrowIfCancellationRequested();
                foreach (var s in _staged) Recheck(s);
                foreach (var s in _staged) Place(s);
                cancel.ThrowIfCancellationRequested();
            }
            catch
            {
                RollbackLocked();
                throw;
            }
            // Committed: drop backups and temporaries; failures here lose nothing the user asked for.
            foreach (var s in _staged)
            {
                if (s.Backup != null) TryDeleteFile(s.Backup);
                foreach (var (_, old) in s.Moved) if (old != null) TryDeleteFile(old);
                foreach (var (_, old) in s.Stale) TryDeleteFile(old);
                if (s.Merge) TryDeleteTree(s.Temp);
            }
            Finish();
        }
    }

    /// <summary>A target must still be what <see cref="Stage"/> accepted (it may have changed while we generated).</summary>
    private void Recheck(Staged s)
    {
        try
        {
            if (!s.Merge)
            {
                OutputRules.Check(s.Display, s.Format, _overwrite);
                return;
            }
            // A folder we write into holds our own staging folder by now.
            if (FileNode.Kind(s.Target, followLinks: false) != FileNodeKind.Directory)
                throw new OutputPathException(s.Display, "is no longer a folder");
            if (!_overwrite && Directory.EnumerateFileSystemEntries(s.Target).Any(e => e != s.Temp))
                throw new OutputPathException(s.Display, "is a folder that is not empty; pass --overwrite to write the frames into it");
        }
        catch (OutputPathException e)
        {
            throw new OutputPathException(e.OutputPath, e.Reason + " (it changed while the video was being generated)");
        }
    }

    private void Place(Staged s)
    {
        if (s.Format != OutputFormat.Png)
        {
            if (FileNode.Kind(s.Target, followLinks: false) == FileNodeKind.Regular)
            {
                var backup = BackupName(s.Target);
                File.Move(s.Target, backup);
                s.Backup = backup;
            }
            File.Move(s.Temp, s.Target, overwrite: false);
            s.Placed = true;
            return;
        }
        if (!s.Merge)
        {
            Directory.Move(s.Temp, s.Target);
            s.Placed = true;
            return;
        }
        // Into an existing folder: our frames replace frame_NNNN.png files; stale ones of that pattern are moved
        // aside (and deleted on success); nothing else in the folder is touched.
        var fresh = Directory.GetFiles(s.Temp).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        foreach (var existing in Directory.GetFiles(s.Target))
        {
            var name = Path.GetFileName(existing);
            if (!OutputRules.IsFrameFile(name) || fresh.Contains(name)) continue;
            if (FileNode.Kind(existing, followLinks: false) != FileNodeKind.Regular) continue;
            var backup = BackupName(existing);
            File.Move(existing, backup);
            s.Stale.Add((existing, backup));
        }
        foreach (var name in fresh.Order(StringComparer.Ordinal))
        {
            var target = Path.Combine(s.Target, name!);
            string? backup = null;
            var kind = FileNode.Kind(target, followLinks: false);
            if (kind == FileNodeKind.Regular)
            {
                backup = BackupName(target);
                File.Move(target, backup);
            }
            else if (kind != FileNodeKind.Missing)
            {
                throw new OutputPathException(target, $"is {FileNode.Describe(kind)}; refusing to replace it with a frame");
            }
            s.Moved.Add((target, backup));
            File.Move(Path.Combine(s.Temp, name!), target, overwrite: false);
        }
        s.Placed = true;
    }

    private static string BackupName(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.old");

    /// <summary>Undoes everything: staged temporaries deleted, placed outputs removed, replaced files restored,
    /// created parent folders removed when empty. Safe to call more than once and from another thread.</summary>
    public void Rollback()
    {
        lock (_lock) RollbackLocked();
    }

    private void RollbackLocked()
    {
        if (_done) return;
        foreach (var s in Enumerable.Reverse(_staged))
        {
            if (s.Format != OutputFormat.Png)
            {
                if (s.Placed) TryDeleteFile(s.Target);
                if (s.Backup != null) TryMove(s.Backup, s.Target);
                TryDeleteFile(s.Temp);
            }
            else if (!s.Merge)
            {
                if (s.Placed) TryDeleteTree(s.Target);
                TryDeleteTree(s.Temp);
            }
            else
            {
                foreach (var (placed, backup) in Enumerable.Reverse(s.Moved))
                {
                    TryDeleteFile(placed);
                    if (backup != null) TryMove(backup, placed);
                }
                foreach (var (original, backup) in s.Stale) TryMove(backup, original);
                TryDeleteTree(s.Temp);
            }
        }
        for (int i = _createdDirs.Count - 1; i >= 0; i--)
        {
            try
            {
                if (Directory.Exists(_createdDirs[i]) && !Directory.EnumerateFileSystemEntries(_createdDirs[i]).Any()) Directory.Delete(_createdDirs[i]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        Finish();
    }

    private void Finish()
    {
        _done = true;
        _cleanup?.Dispose();
        _cleanup = null;
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void TryDeleteTree(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void TryMove(string from, string to)
    {
        try { File.Move(from, to, overwrite: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Rolls back unless committed.</summary>
    public void Dispose() => Rollback();
}
