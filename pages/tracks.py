import streamlit as st

st.title("Tracks")
st.info("This page is being built.")
