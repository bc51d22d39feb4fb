namespace FastVideo.Tensors;

/// <summary>
/// Collects the tensors created on this thread while it is the innermost open scope, and disposes them when
/// the scope ends, except those passed to <see cref="Keep"/>. Use it around a block of intermediates:
/// <code>using (var s = TensorScope.Begin()) { var y = ...; return s.Keep(y); }</code>
/// Scopes nest; a kept tensor moves to the enclosing scope if there is one. Thread-local: tensors created on
/// other threads are not collected.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;

    private readonly List<Tensor> _tensors = new();
    private readonly TensorScope? _parent;
    private bool _disposed;

    private TensorScope(TensorScope? parent) => _parent = parent;

    public static TensorScope Begin()
    {
        var s = new TensorScope(t_current);
        t_current = s;
        return s;
    }

    internal static void Register(Tensor t) => t_current?._tensors.Add(t);

    /// <summary>Removes <paramref name="t"/> from this scope (into the enclosing one, if any) and returns it.</summary>
    public Tensor Keep(Tensor t)
    {
        int i = _tensors.LastIndexOf(t);
        if (i >= 0) _tensors.RemoveAt(i);
        _parent?._tensors.Add(t);
        return t;
    }

    /// <summary>Removes the tensor from every scope: the caller owns it and must dispose it.</summary>
    public static Tensor Detach(Tensor t)
    {
        for (var s = t_current; s != null; s = s._parent)
        {
            int i = s._tensors.LastIndexOf(t);
            if (i >= 0) { s._tensors.RemoveAt(i); break; }
        }
        return t;
    }

    public int Count => _tensors.Count;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (t_current == this) t_current = _parent;
        for (int i = _tensors.Count - 1; i >= 0; i--) _tensors[i].Dispose();
        _tensors.Clear();
    }
}
