namespace FastVideo.Media;

/// <summary>
/// Undo actions for work in flight (temporary output files, encoder processes) that must run even when the process
/// is ended early: a host that aborts on a second Ctrl+C or a SIGTERM calls <see cref="RunAll"/> before it exits, so
/// nothing partial is left and no child outlives us. Normal code paths undo their own work and unregister.
/// </summary>
public static class ProcessCleanup
{
    private static readonly object s_lock = new();
    private static readonly LinkedList<Action> s_actions = new();

    /// <summary>Registers <paramref name="undo"/>; dispose the result once the work is finished or undone.</summary>
    public static IDisposable Register(Action undo)
    {
        ArgumentNullException.ThrowIfNull(undo);
        lock (s_lock) return new Registration(s_actions.AddLast(undo));
    }

    /// <summary>How many undo actions are registered now (for tests).</summary>
    public static int Pending
    {
        get { lock (s_lock) return s_actions.Count; }
    }

    /// <summary>Runs and removes every registered action, newest first; an action that throws does not stop the rest.</summary>
    public static void RunAll()
    {
        while (true)
        {
            Action action;
            lock (s_lock)
            {
                if (s_actions.Last is not { } last) return;
                action = last.Value;
                s_actions.RemoveLast();
            }
            try
            {
                action();
            }
            catch
            {
                // best effort: we are on the way out
            }
        }
    }

    private sealed class Registration(LinkedListNode<Action> node) : IDisposable
    {
        private LinkedListNode<Action>? _node = node;

        public void Dispose()
        {
            lock (s_lock)
            {
                if (_node?.List != null) s_actions.Remove(_node);
                _node = null;
            }
        }
    }
}
